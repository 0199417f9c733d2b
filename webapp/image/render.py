"""Draw a ``Scene`` into PNG or SVG bytes with matplotlib's object API (no pyplot: the app serves threads).

The figure is set at 72 dpi, so a point is a pixel: type sizes, line widths and
the image size are all in pixels.  Styles follow the map (``webapp.mapview``):
layer colours, link-type colours, dashes for planned or proposed records,
hollow markers for approximate positions.  In SVG the text stays text
(``svg.fonttype: none``), so a newsroom's designer can edit or restyle it.
"""

from __future__ import annotations

import io
import threading

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from webapp.image import fonts
from webapp.image.scene import APPROXIMATE, Scene
from webapp.mapview import DASHED_STATUSES, LAYER_COLOURS, LINK_TYPE_COLOURS

DPI = 72  # one point = one pixel
CANVASES = {"png": FigureCanvasAgg, "svg": FigureCanvasSVG}
PALETTES = {
    "light": {
        "paper": "#ffffff",
        "sea": "#e8eef3",
        "land": "#fbfaf7",
        "edge": "#8c96a0",
        "sar": "#4d5761",
        "district": "#c3c9cf",
        "text": "#1f2328",
        "muted": "#59636e",
        "halo": "#ffffff",
    },
    "dark": {
        "paper": "#16191d",
        "sea": "#1d2228",
        "land": "#262c33",
        "edge": "#6d7784",
        "sar": "#aab3bd",
        "district": "#3d454e",
        "text": "#eceff2",
        "muted": "#a3acb6",
        "halo": "#16191d",
    },
}
FALLBACK_COLOUR = "#555555"
# matplotlib's text layout and font caches are shared by every figure in the process.
_render_lock = threading.Lock()


def _dash(status: object) -> str:
    return "--" if status in DASHED_STATUSES else "-"


def _draw_outlines(ax, scene: Scene, palette: dict) -> None:
    outlines = scene.outlines
    if outlines.empty:
        return
    cities = outlines[outlines["level"] == "jurisdiction"]
    cities.plot(ax=ax, facecolor=palette["land"], edgecolor=palette["edge"], linewidth=0.8, zorder=1)
    districts = outlines[outlines["level"] == "district"]
    if not districts.empty:
        districts.boundary.plot(ax=ax, color=palette["district"], linewidth=0.5, zorder=1.5)
    sars = outlines[outlines["sar"]]
    if not sars.empty:
        sars.boundary.plot(ax=ax, color=palette["sar"], linewidth=1.4, zorder=2)


def _draw_zones(ax, scene: Scene, palette: dict) -> None:
    colour = LAYER_COLOURS.get("zones", FALLBACK_COLOUR)
    for row in scene.zones.itertuples():
        dashed = row.status in DASHED_STATUSES or row.coord_precision in APPROXIMATE
        highlighted = row.id == scene.highlighted
        ax.add_patch(_patch(row.geometry, colour, dashed, highlighted, palette))


def _patch(geometry, colour: str, dashed: bool, highlighted: bool, palette: dict):
    vertices, codes = [], []
    polygons = geometry.geoms if geometry.geom_type == "MultiPolygon" else [geometry]
    for polygon in polygons:
        for ring in (polygon.exterior, *polygon.interiors):
            coords = list(ring.coords)
            vertices.extend(coords)
            codes.extend([MplPath.MOVETO] + [MplPath.LINETO] * (len(coords) - 2) + [MplPath.CLOSEPOLY])
    return PathPatch(
        MplPath(vertices, codes),
        facecolor=to_rgba(colour, 0.3 if highlighted else 0.2),
        edgecolor=palette["text"] if highlighted else colour,
        linewidth=2.6 if highlighted else 1.6,
        linestyle="--" if dashed else "-",
        zorder=3,
    )


def _draw_links(ax, scene: Scene) -> None:
    links = scene.links
    for row in links.itertuples():
        xs, ys = row.geometry.xy
        touches = scene.highlighted is not None and scene.highlighted in (row.id, row.from_id, row.to_id)
        ax.plot(
            xs,
            ys,
            color=LINK_TYPE_COLOURS.get(row.link_type, FALLBACK_COLOUR),
            linestyle=_dash(row.status),
            linewidth=3.0 if touches else 1.6,
            alpha=0.95 if touches or scene.highlighted is None else 0.45,
            solid_capstyle="round",
            zorder=4,
        )


def _draw_points(ax, scene: Scene, palette: dict, size: float) -> None:
    for row in scene.points.itertuples():
        colour = LAYER_COLOURS.get(row.layer, FALLBACK_COLOUR)
        hollow = row.coord_precision in APPROXIMATE
        highlighted = row.id == scene.highlighted
        ax.scatter(
            [row.geometry.x],
            [row.geometry.y],
            s=(size * (1.6 if highlighted else 1)) ** 2,
            facecolors=palette["paper"] if hollow else colour,
            edgecolors=palette["text"] if highlighted else colour,
            linewidths=2.2 if highlighted else 1.4,
            linestyle="--" if row.status in DASHED_STATUSES else "-",
            alpha=0.55 if row.status in DASHED_STATUSES and not highlighted else 1.0,
            zorder=6 if highlighted else 5,
        )


def _draw_labels(ax, scene: Scene, palette: dict, family: list[str]) -> None:
    size = scene.layout.label_size
    for label in scene.labels:
        record = label.kind == "record"
        place = label.kind in ("jurisdiction", "district")
        ax.annotate(
            label.text,
            (label.x, label.y),
            xytext=(size * 0.6, 0) if record else (0, 0),
            textcoords="offset points",
            ha="left" if record else "center",
            va="center",
            multialignment="left" if record else "center",
            fontsize=size * (1.15 if record else 0.9 if place else 1.0),
            fontweight="bold" if record else "normal",
            color=palette["muted"] if place else palette["text"],
            family=family,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": palette["halo"], "edgecolor": "none", "alpha": 0.75},
            annotation_clip=False,
            zorder=8 if record else 7,
        )


LEGEND_MIN_SIZE = (520, 360)  # smaller pictures keep all their room for the map
LEGEND_ONE_COLUMN = 8  # entries; more go in two columns, so the key stays short


def _draw_legend(ax, scene: Scene, palette: dict, family: list[str]) -> None:
    layout = scene.layout
    if not scene.legend or layout.width < LEGEND_MIN_SIZE[0] or layout.height < LEGEND_MIN_SIZE[1]:
        return
    handles = []
    for entry in scene.legend:
        if entry.kind == "line":
            handle = Line2D([], [], color=entry.colour, linewidth=2, linestyle="--" if entry.dashed else "-")
        else:
            handle = Line2D(
                [],
                [],
                linestyle="none",
                marker="s" if entry.kind == "polygon" else "o",
                markersize=layout.label_size * 0.75,
                markerfacecolor=palette["paper"]
                if entry.hollow
                else to_rgba(entry.colour, 0.5 if entry.kind == "polygon" else 1),
                markeredgecolor=entry.colour,
            )
        handles.append(handle)
    legend = ax.legend(
        handles,
        [entry.label for entry in scene.legend],
        loc="upper right",
        ncols=2 if len(handles) > LEGEND_ONE_COLUMN else 1,
        prop={"family": family, "size": layout.credit_size},
        labelcolor=palette["text"],
        facecolor=palette["paper"],
        edgecolor=palette["edge"],
        framealpha=0.85,
        borderpad=0.6,
        handlelength=1.8,
    )
    legend.set_zorder(10)


def draw(scene: Scene, fmt: str) -> bytes:
    """The image as PNG or SVG bytes (the same bytes for the same scene)."""
    family = fonts.families(scene.lang)
    layout = scene.layout
    palette = PALETTES[scene.theme]
    figure = Figure(figsize=(layout.width / DPI, layout.height / DPI), dpi=DPI, facecolor=palette["paper"])
    canvas = CANVASES[fmt](figure)
    map_height = layout.map_size[1]
    ax = figure.add_axes((0, layout.footer / layout.height, 1, map_height / layout.height))
    ax.set_axis_off()
    ax.add_artist(Rectangle((0, 0), 1, 1, transform=ax.transAxes, color=palette["sea"], zorder=0))
    _draw_outlines(ax, scene, palette)
    _draw_zones(ax, scene, palette)
    _draw_links(ax, scene)
    _draw_points(ax, scene, palette, size=9 * layout.scale)
    _draw_labels(ax, scene, palette, family)
    _draw_legend(ax, scene, palette, family)
    min_x, min_y, max_x, max_y = scene.extent
    ax.set_xlim(min_x, max_x)
    ax.set_ylim(min_y, max_y)
    ax.set_aspect("auto")
    if scene.empty_note:
        ax.text(
            0.5,
            0.5,
            scene.empty_note,
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=layout.subtitle_size,
            color=palette["muted"],
            family=family,
            zorder=9,
        )
    _draw_texts(figure, scene, palette, family)
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "gba-image"}):
        canvas.print_figure(buffer, format=fmt, dpi=DPI, facecolor=palette["paper"], metadata=metadata)
    return buffer.getvalue()


def _draw_texts(figure: Figure, scene: Scene, palette: dict, family: list[str]) -> None:
    layout = scene.layout
    left = layout.margin / layout.width
    top = 1 - layout.margin / layout.height
    figure.text(
        left,
        top,
        scene.title,
        ha="left",
        va="top",
        fontsize=layout.title_size,
        fontweight="bold",
        color=palette["text"],
        family=family,
    )
    if scene.subtitle:
        y = 1 - (layout.margin + layout.title_size * 1.3) / layout.height
        figure.text(
            left,
            y,
            scene.subtitle,
            ha="left",
            va="top",
            fontsize=layout.subtitle_size,
            color=palette["muted"],
            family=family,
            wrap=False,
        )
    figure.text(
        left,
        layout.footer * 0.5 / layout.height,
        scene.credit,
        ha="left",
        va="center",
        fontsize=layout.credit_size,
        color=palette["muted"],
        family=family,
    )


def render(scene: Scene, fmt: str) -> bytes:
    with _render_lock:
        return draw(scene, fmt)
