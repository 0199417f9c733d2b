"""From a news article to proposals a person reviews (issue 13).

``article`` reads and stores the article and its citation, ``extract`` proposes records, mentions,
links and figures from its text (a pure function), ``proposals`` keeps the proposal files and the
review operations (accept, edit, reject, place) that write the source tables, and ``catalogue``
holds what extraction compares against: the records already in the sources and the offline
gazetteer.  Nothing proposed reaches the built data until a person accepts it.
"""
