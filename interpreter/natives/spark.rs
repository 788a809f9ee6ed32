//! `spark(xs[, height])`: a sparkline of numbers in block characters
//! (`▁▂▃▄▅▆▇█`), for a quick look in a terminal: one line by default,
//! `height` lines (1 to 20) for more resolution. The smallest value gets
//! the lowest block, the largest the full height; NaN is a space.

use super::{arity, bad_arg, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::ops::too_large;
use crate::interp::Interp;
use crate::value::Value;

pub const NATIVES: &[(&str, Builtin)] = &[("spark", spark)];

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The lines of a sparkline of `xs`, `height` lines tall.
fn lines(xs: &[f64], height: usize) -> Vec<String> {
    let finite = xs.iter().copied().filter(|x| !x.is_nan());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let levels = height * 8;
    // Eighths of the height per value: 1 for the smallest, all for the largest.
    let level = |x: f64| -> Option<usize> {
        if x.is_nan() {
            return None;
        }
        let t = if hi > lo && (hi - lo).is_finite() {
            (x - lo) / (hi - lo)
        } else if hi > lo {
            // An infinite span: the infinities at the ends, finite values between.
            if x == hi {
                1.0
            } else if x == lo {
                0.0
            } else {
                0.5
            }
        } else {
            0.5
        };
        Some(1 + (t * (levels - 1) as f64).round() as usize)
    };
    let heights: Vec<Option<usize>> = xs.iter().map(|x| level(*x)).collect();
    (0..height)
        .map(|row| {
            let floor = (height - 1 - row) * 8; // eighths below this row
            heights
                .iter()
                .map(|h| match h {
                    Some(h) if *h >= floor + 8 => '█',
                    Some(h) if *h > floor => BLOCKS[h - floor - 1],
                    _ => ' ',
                })
                .collect()
        })
        .collect()
}

/// `spark(xs[, height])`: see the module comment.
fn spark(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("spark", args, 1, 2)?;
    let height = match args.get(1) {
        None => 1,
        Some(Value::Int(h)) if (1..=20).contains(h) => *h as usize,
        Some(other) => {
            return Err(MemoError::new(
                "ValueError",
                format!("spark() height must be an int from 1 to 20, got {}", crate::value::repr(other)),
            ))
        }
    };
    let xs: Vec<f64> = match &args[0] {
        list @ Value::List(_) => super::math::numbers("spark", list)?,
        other => return Err(bad_arg("spark", "a list of numbers", other)),
    };
    let max = interp.config.max_collection_len;
    let size = xs.len().saturating_mul(height).saturating_mul(4);
    if size > max {
        return Err(too_large("string", size, max));
    }
    Ok(Value::str(lines(&xs, height).join("\n")))
}

#[cfg(test)]
mod tests {
    use super::super::args::eval;
    use super::lines;

    #[test]
    fn known_values() {
        assert_eq!(lines(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 1), vec!["▁▂▃▄▅▆▇█"]);
        assert_eq!(lines(&[0.0, 10.0], 1), vec!["▁█"]);
        assert_eq!(lines(&[5.0, 5.0], 1), vec!["▅▅"]);
        assert_eq!(lines(&[0.0, f64::NAN, 1.0], 1), vec!["▁ █"]);
        assert_eq!(lines(&[0.0, 1.0, 2.0], 2), vec![" ▁█", "▁██"]);
        assert_eq!(lines(&[f64::NEG_INFINITY, 0.0, f64::INFINITY], 1), vec!["▁▅█"]);
        assert_eq!(lines(&[-1e308, 1e308], 1), vec!["▁█"]);
        assert_eq!(lines(&[], 3), vec!["", "", ""]);
        assert_eq!(eval("spark([1, 5, 3])"), r#""▁█▅""#);
        assert_eq!(eval("spark([1, 2], 0)"), "ValueError: spark() height must be an int from 1 to 20, got 0");
        assert_eq!(eval("spark([\"a\"])"), "TypeError: spark() expects numbers, got str in the list");
    }
}
