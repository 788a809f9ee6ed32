//! `chart(path, spec)`: writes a line, bar or scatter chart as an SVG file
//! (plotters' SVG backend: text is SVG text, so no font or system library
//! is needed). Returns `none`; needs file access.
//!
//! The spec is a map:
//!
//! * `"type"`: `"line"` (the default), `"bar"` or `"scatter"`;
//! * `"x"`: the x values, a list of numbers, or of strings (categories,
//!   evenly spaced and used as labels; not for scatter);
//! * `"y"`: one list of numbers as long as `x`, or `"series"`: a map from
//!   a series name to such a list (one line, bar group member or point
//!   color per series, with a legend);
//! * `"title"`, `"x_label"`, `"y_label"`: strings;
//! * `"width"`, `"height"`: pixels (default 800 × 480, at most 8000).
//!
//! Values must be finite. The same spec always writes the same file.

use super::args::{check_opts, need_fs, opt, str as str_arg};
use super::{arity, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::Interp;
use crate::value::Value;
use plotters::prelude::*;

pub const NATIVES: &[(&str, Builtin)] = &[("chart", chart)];

const KEYS: &[&str] = &["type", "x", "y", "series", "title", "x_label", "y_label", "width", "height"];

/// Tableau 10, the series colors in order.
const PALETTE: [(u8, u8, u8); 10] = [
    (0x4e, 0x79, 0xa7),
    (0xf2, 0x8e, 0x2b),
    (0xe1, 0x57, 0x59),
    (0x76, 0xb7, 0xb2),
    (0x59, 0xa1, 0x4f),
    (0xed, 0xc9, 0x48),
    (0xb0, 0x7a, 0xa1),
    (0xff, 0x9d, 0xa7),
    (0x9c, 0x75, 0x5f),
    (0xba, 0xb0, 0xac),
];

fn bad(msg: impl Into<String>) -> MemoError {
    MemoError::new("ValueError", format!("chart(): {}", msg.into()))
}

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Line,
    Bar,
    Scatter,
}

/// A validated chart.
struct Spec {
    kind: Kind,
    /// x positions (category indexes for categories)
    xs: Vec<f64>,
    /// category labels, when x is categorical
    labels: Option<Vec<String>>,
    /// (name, ys); one unnamed series when `y` was given
    series: Vec<(Option<String>, Vec<f64>)>,
    title: String,
    x_label: String,
    y_label: String,
    width: u32,
    height: u32,
}

fn numbers(what: &str, v: &Value) -> Result<Vec<f64>> {
    let items: Vec<Value> = match v {
        Value::List(l) => l.iter().cloned().collect(),
        Value::Range(r) => {
            if r.len() > 1_000_000 {
                return Err(bad(format!("{what} has more than 1,000,000 values")));
            }
            (0..r.len()).map(|i| Value::Int(r.start + i as i64)).collect()
        }
        other => return Err(bad(format!("{what} must be a list of numbers, got {}", other.type_name()))),
    };
    items
        .iter()
        .map(|x| match x {
            Value::Int(i) => Ok(*i as f64),
            Value::Float(f) if f.get().is_finite() => Ok(f.get()),
            Value::Float(_) => Err(bad(format!("{what} holds {}; chart values must be finite", crate::value::repr(x)))),
            other => Err(bad(format!("{what} must hold numbers, got {}", other.type_name()))),
        })
        .collect()
}

fn text_opt(opts: Option<&Value>, key: &str) -> Result<String> {
    match opt(opts, key) {
        None => Ok(String::new()),
        Some(Value::Str(s)) => Ok(s.s.clone()),
        Some(other) => Err(MemoError::new("TypeError", format!("chart() {key} must be a str, got {}", other.type_name()))),
    }
}

fn size_opt(opts: Option<&Value>, key: &str, default: u32) -> Result<u32> {
    match opt(opts, key) {
        None => Ok(default),
        Some(Value::Int(n)) if (100..=8000).contains(n) => Ok(*n as u32),
        Some(other) => Err(bad(format!("{key} must be an int from 100 to 8000, got {}", crate::value::repr(other)))),
    }
}

impl Spec {
    fn parse(v: &Value) -> Result<Spec> {
        if !matches!(v, Value::Map(_)) {
            return Err(MemoError::new("TypeError", format!("chart() expects the spec as a map, got {}", v.type_name())));
        }
        let o = Some(v);
        check_opts("chart", o, KEYS)?;
        let kind = match opt(o, "type") {
            None => Kind::Line,
            Some(Value::Str(s)) if s.s == "line" => Kind::Line,
            Some(Value::Str(s)) if s.s == "bar" => Kind::Bar,
            Some(Value::Str(s)) if s.s == "scatter" => Kind::Scatter,
            Some(other) => {
                return Err(bad(format!("type must be \"line\", \"bar\" or \"scatter\", got {}", crate::value::repr(other))))
            }
        };
        let x = opt(o, "x").ok_or_else(|| bad("the spec needs \"x\": the x values"))?;
        let (xs, labels) = match x {
            Value::List(l) if !l.items.is_empty() && l.iter().all(|v| matches!(v, Value::Str(_))) => {
                if kind == Kind::Scatter {
                    return Err(bad("a scatter chart needs numbers as x"));
                }
                let labels: Vec<String> = l.iter().filter_map(|v| v.as_str().map(String::from)).collect();
                ((0..labels.len()).map(|i| i as f64).collect(), Some(labels))
            }
            other => (numbers("x", other)?, None),
        };
        if xs.is_empty() {
            return Err(bad("x is empty: there is nothing to draw"));
        }
        let mut series = Vec::new();
        match (opt(o, "y"), opt(o, "series")) {
            (Some(y), None) => series.push((None, numbers("y", y)?)),
            (None, Some(Value::Map(m))) => {
                for (k, ys) in m.map.iter() {
                    let name = match k {
                        Value::Str(s) => s.s.clone(),
                        other => crate::value::repr(other),
                    };
                    series.push((Some(name.clone()), numbers(&format!("series {}", crate::value::repr(k)), ys)?));
                }
                if series.is_empty() {
                    return Err(bad("series is empty: there is nothing to draw"));
                }
            }
            (None, Some(other)) => {
                return Err(bad(format!("series must be a map from names to lists, got {}", other.type_name())))
            }
            (Some(_), Some(_)) => return Err(bad("give either \"y\" (one series) or \"series\" (several), not both")),
            (None, None) => return Err(bad("the spec needs \"y\" (a list of numbers) or \"series\" (a map of them)")),
        }
        for (name, ys) in &series {
            if ys.len() != xs.len() {
                let what =
                    name.as_ref().map_or("y".to_string(), |n| format!("series {}", crate::value::repr(&Value::str(n.as_str()))));
                return Err(bad(format!("{what} has {} values but x has {}", ys.len(), xs.len())));
            }
        }
        Ok(Spec {
            kind,
            xs,
            labels,
            series,
            title: text_opt(o, "title")?,
            x_label: text_opt(o, "x_label")?,
            y_label: text_opt(o, "y_label")?,
            width: size_opt(o, "width", 800)?,
            height: size_opt(o, "height", 480)?,
        })
    }

    /// The x and y ranges, padded; an error when a range is too wide for
    /// a float (plotters cannot place ticks on it).
    fn ranges(&self) -> std::result::Result<(std::ops::Range<f64>, std::ops::Range<f64>), String> {
        let fold =
            |it: &mut dyn Iterator<Item = f64>| it.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (x0, x1) = fold(&mut self.xs.iter().copied());
        let (mut y0, mut y1) = fold(&mut self.series.iter().flat_map(|(_, ys)| ys.iter().copied()));
        if self.kind == Kind::Bar {
            y0 = y0.min(0.0);
            y1 = y1.max(0.0);
        }
        let pad = |a: f64, b: f64, frac: f64| {
            if a == b {
                let d = if a == 0.0 { 1.0 } else { a.abs() * 0.1 };
                (a - d, b + d)
            } else {
                // Halves first, so that a range near the float limits stays finite.
                let d = (b * 0.5 - a * 0.5) * (2.0 * frac);
                ((a - d).max(-f64::MAX), (b + d).min(f64::MAX))
            }
        };
        let (x0, x1) = if self.labels.is_some() || self.kind == Kind::Bar { (x0 - 0.5, x1 + 0.5) } else { pad(x0, x1, 0.03) };
        let (mut y0, y1) = pad(y0, y1, 0.05);
        if self.kind == Kind::Bar && y0 < 0.0 && self.series.iter().all(|(_, ys)| ys.iter().all(|v| *v >= 0.0)) {
            y0 = 0.0;
        }
        if !(x1 - x0).is_finite() || !(y1 - y0).is_finite() {
            return Err("the values span more than the largest float: scale them down".into());
        }
        Ok((x0..x1, y0..y1))
    }
}

/// An axis value: grouped thousands, as many decimals as the step needs.
fn axis_label(v: f64, step: f64) -> String {
    let decimals = if step > 0.0 && step.is_finite() { (-step.log10().floor()).clamp(0.0, 6.0) as usize } else { 0 };
    let v = if v == 0.0 { 0.0 } else { v }; // no "-0"
    let spec = super::format::Spec::parse(&format!(",.{decimals}f")).expect("a valid spec");
    super::format::format_value(&Value::float(v), &spec, 1 << 20).unwrap_or_default()
}

/// Draws the chart into an SVG string.
fn render(spec: &Spec) -> std::result::Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (spec.width, spec.height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (xr, yr) = spec.ranges()?;
        let ystep = (yr.end - yr.start) / 10.0;
        let xstep = (xr.end - xr.start) / 10.0;
        let ylabel_width = [yr.start, yr.end].iter().map(|v| axis_label(*v, ystep).len()).max().unwrap_or(4) as u32 * 8 + 16;
        let mut builder = ChartBuilder::on(&root);
        builder
            .margin(16)
            .x_label_area_size(if spec.x_label.is_empty() { 32 } else { 52 })
            .y_label_area_size(ylabel_width + if spec.y_label.is_empty() { 0 } else { 22 });
        if !spec.title.is_empty() {
            builder.caption(&spec.title, ("sans-serif", 22));
        }
        let mut chart = builder.build_cartesian_2d(xr.clone(), yr.clone()).map_err(|e| e.to_string())?;
        let labels = spec.labels.clone();
        let xfmt = move |x: &f64| -> String {
            match &labels {
                Some(ls) => {
                    let i = x.round();
                    if (x - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < ls.len() {
                        ls[i as usize].clone()
                    } else {
                        String::new()
                    }
                }
                None => axis_label(*x, xstep),
            }
        };
        let yfmt = move |y: &f64| axis_label(*y, ystep);
        let nx = spec.labels.as_ref().map_or(10, |l| l.len().min(24));
        let mut mesh = chart.configure_mesh();
        mesh.x_labels(nx)
            .y_labels(8)
            .x_label_formatter(&xfmt)
            .y_label_formatter(&yfmt)
            .light_line_style(RGBColor(235, 235, 235))
            .label_style(("sans-serif", 13));
        if spec.labels.is_some() {
            mesh.disable_x_mesh();
        }
        if !spec.x_label.is_empty() {
            mesh.x_desc(spec.x_label.as_str());
        }
        if !spec.y_label.is_empty() {
            mesh.y_desc(spec.y_label.as_str());
        }
        mesh.draw().map_err(|e| e.to_string())?;
        let n = spec.series.len();
        for (k, (name, ys)) in spec.series.iter().enumerate() {
            let (r, g, b) = PALETTE[k % PALETTE.len()];
            let color = RGBColor(r, g, b);
            let points = spec.xs.iter().copied().zip(ys.iter().copied());
            let drawn = match spec.kind {
                Kind::Line => chart.draw_series(LineSeries::new(points, color.stroke_width(2))),
                Kind::Scatter => chart.draw_series(points.map(|p| Circle::new(p, 3, color.filled()))),
                Kind::Bar => {
                    let w = 0.8 / n as f64;
                    chart.draw_series(points.map(|(x, y)| {
                        let left = x - 0.4 + k as f64 * w;
                        Rectangle::new([(left, 0.0), (left + w * 0.92, y)], color.filled())
                    }))
                }
            }
            .map_err(|e| e.to_string())?;
            if let Some(name) = name {
                drawn.label(name.as_str()).legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
            }
        }
        if spec.series.iter().any(|(name, _)| name.is_some()) {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 200))
                .label_font(("sans-serif", 13))
                .draw()
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// `chart(path, spec)`: see the module comment.
fn chart(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("chart", args, 2, 2)?;
    need_fs(interp, "chart")?;
    let path = str_arg("chart", args, 0)?.s.clone();
    let spec = Spec::parse(&args[1])?;
    let svg = render(&spec).map_err(|e| bad(format!("cannot draw: {e}")))?;
    let r = std::fs::write(&path, svg.as_bytes())
        .map_err(|e| MemoError::new("IOError", format!("cannot write `{path}`: {}", super::args::io_reason(&e))));
    crate::cache::trace::note_write(interp);
    r?;
    Ok(Value::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels() {
        assert_eq!(axis_label(1234567.0, 100000.0), "1,234,567");
        assert_eq!(axis_label(0.25, 0.05), "0.25");
        assert_eq!(axis_label(-0.0, 1.0), "0");
        assert_eq!(axis_label(3.0, 0.0), "3");
    }

    #[test]
    fn spec_errors() {
        use super::super::args::eval;
        let cases = [
            (r#"chart("target/x.svg", {"x": [1], "y": [1, 2]})"#, "ValueError: chart(): y has 2 values but x has 1"),
            (r#"chart("target/x.svg", {"x": [], "y": []})"#, "ValueError: chart(): x is empty: there is nothing to draw"),
            (r#"chart("target/x.svg", {"x": [1], "y": [nan]})"#, "ValueError: chart(): y holds NaN; chart values must be finite"),
            (r#"chart("target/x.svg", {"x": ["a"], "y": [1], "type": "scatter"})"#, "ValueError: chart(): a scatter chart needs numbers as x"),
            (r#"chart("target/x.svg", {"x": [1], "y": [1], "type": "pie"})"#, "ValueError: chart(): type must be \"line\", \"bar\" or \"scatter\", got \"pie\""),
            (r#"chart("target/x.svg", {"x": [1], "y": [1], "colour": "red"})"#, "ValueError: chart(): unknown option \"colour\" (known: type, x, y, series, title, x_label, y_label, width, height)"),
            (r#"chart("target/x.svg", {"x": [1]})"#, "ValueError: chart(): the spec needs \"y\" (a list of numbers) or \"series\" (a map of them)"),
            (r#"chart("target/x.svg", {"x": [1], "y": [1], "width": 10})"#, "ValueError: chart(): width must be an int from 100 to 8000, got 10"),
            (r#"chart("target/x.svg", [1])"#, "TypeError: chart() expects the spec as a map, got list"),
        ];
        for (src, want) in cases {
            assert_eq!(eval(src), want, "{src}");
        }
    }

    #[test]
    fn extreme_values_draw() {
        for (xs, ys) in [
            (vec![0.0], vec![0.0]),
            (vec![1e300, -1e300], vec![1e308, -1e308]),
            (vec![1.0, 1.0 + 1e-12], vec![5.0, 5.0]),
            (vec![0.0, 1.0], vec![-3.0, -1.0]),
        ] {
            for kind in [Kind::Line, Kind::Bar, Kind::Scatter] {
                let spec = Spec {
                    kind,
                    xs: xs.clone(),
                    labels: None,
                    series: vec![(Some("s".into()), ys.clone())],
                    title: "t".into(),
                    x_label: "x".into(),
                    y_label: "y".into(),
                    width: 100,
                    height: 100,
                };
                match render(&spec) {
                    Ok(svg) => assert!(svg.starts_with("<svg"), "{svg}"),
                    Err(e) => assert!(ys[0] == 1e308 && e.contains("largest float"), "{e}"),
                }
            }
        }
    }
}
