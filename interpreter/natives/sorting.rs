//! Sorting whose comparisons can fail: `sort` and `sort_by` compare values
//! with the interpreter's meter (`value/meter.rs`), so comparing two big
//! values can end the sort with the run's `LimitError` or `Interrupted`.
//! The standard library's sorts take infallible comparators (and may panic
//! when one stops answering consistently), hence this stable merge sort.

use std::cmp::Ordering;

/// Runs this short are sorted by insertion before merging.
const RUN: usize = 16;

/// Sorts `v` stably by `cmp`; the first error of `cmp` stops the sort and
/// is returned (`v` then holds its elements in some order).
pub(crate) fn try_sort_by<T, E>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Result<Ordering, E>) -> Result<(), E> {
    let n = v.len();
    if n < 2 {
        return Ok(());
    }
    // Sort a permutation, then apply it: the elements move once.
    let mut idx: Vec<u32> = (0..n as u32).collect();
    let mut less = |a: u32, b: u32| -> Result<bool, E> { Ok(cmp(&v[b as usize], &v[a as usize])? == Ordering::Greater) };
    for chunk in idx.chunks_mut(RUN) {
        for i in 1..chunk.len() {
            let mut j = i;
            while j > 0 && less(chunk[j], chunk[j - 1])? {
                chunk.swap(j, j - 1);
                j -= 1;
            }
        }
    }
    let mut buf = vec![0u32; n];
    let mut width = RUN;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut a, mut b, mut k) = (start, mid, start);
            while a < mid && b < end {
                // Stable: take from the right run only when strictly less.
                if less(idx[b], idx[a])? {
                    buf[k] = idx[b];
                    b += 1;
                } else {
                    buf[k] = idx[a];
                    a += 1;
                }
                k += 1;
            }
            buf[k..k + (mid - a)].copy_from_slice(&idx[a..mid]);
            k += mid - a;
            buf[k..k + (end - b)].copy_from_slice(&idx[b..end]);
            start = end;
        }
        std::mem::swap(&mut idx, &mut buf);
        width *= 2;
    }
    let mut taken: Vec<Option<T>> = std::mem::take(v).into_iter().map(Some).collect();
    v.extend(idx.iter().map(|&i| taken[i as usize].take().expect("a permutation takes each element once")));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against std's stable sort, on pairs whose first half repeats (so
    /// stability shows), for every length up to a few runs' worth.
    #[test]
    fn sorts_like_std_and_stably() {
        let mut seed = 7u64;
        for n in 0..200usize {
            let items: Vec<(u64, usize)> = (0..n)
                .map(|i| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed % 10, i)
                })
                .collect();
            let mut want = items.clone();
            want.sort_by_key(|p| p.0);
            let mut got = items.clone();
            try_sort_by(&mut got, |a, b| Ok::<_, ()>(a.0.cmp(&b.0))).unwrap();
            assert_eq!(got, want, "n = {n}");
        }
    }

    #[test]
    fn an_error_stops_the_sort() {
        let mut v: Vec<i32> = (0..100).rev().collect();
        let mut calls = 0;
        let r = try_sort_by(&mut v, |a, b| {
            calls += 1;
            if calls > 10 {
                Err("stop")
            } else {
                Ok(a.cmp(b))
            }
        });
        assert_eq!(r, Err("stop"));
        assert_eq!(calls, 11);
        assert_eq!(v.len(), 100);
    }
}
