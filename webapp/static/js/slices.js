/* Sorting a big array without freezing the page.  Pure (timers only). */

const SORT_RUN = 1024; // items sorted at once before the merges
const SLICE_MS = 40;

/**
 * A bottom-up merge sort that yields to the page every SLICE_MS; calls ``done(sorted)``.
 * Stable, like Array.prototype.sort, so it gives the same order with the same comparison.
 */
export function sortInSlices(items, compare, done, { schedule = (work) => setTimeout(work, 0) } = {}) {
  const n = items.length;
  let src = items.slice();
  let dst = new Array(n);
  let sortedUpTo = 0;
  let width = SORT_RUN;
  let lo = 0;
  let mid = 0;
  let hi = 0;
  let i = 0;
  let j = 0;
  let k = 0;
  let merging = false;
  const work = () => {
    const deadline = Date.now() + SLICE_MS;
    for (;;) {
      if (sortedUpTo < n) {
        const end = Math.min(sortedUpTo + SORT_RUN, n);
        const run = src.slice(sortedUpTo, end).sort(compare);
        for (let r = 0; r < run.length; r++) src[sortedUpTo + r] = run[r];
        sortedUpTo = end;
      } else if (width >= n) {
        done(src);
        return;
      } else {
        if (!merging) {
          mid = Math.min(lo + width, n);
          hi = Math.min(lo + 2 * width, n);
          i = lo;
          j = mid;
          k = lo;
          merging = true;
        }
        const stop = Math.min(k + 2048, hi);
        while (k < stop) {
          // Ties keep the left (earlier) item first.
          if (i < mid && (j >= hi || compare(src[i], src[j]) <= 0)) dst[k++] = src[i++];
          else dst[k++] = src[j++];
        }
        if (k === hi) {
          merging = false;
          lo = hi;
          if (lo >= n) {
            [src, dst] = [dst, src];
            lo = 0;
            width *= 2;
          }
        }
      }
      if (Date.now() >= deadline) {
        schedule(work);
        return;
      }
    }
  };
  schedule(work); // not in the task that placed the records
}
