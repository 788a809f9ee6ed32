//! `chart()` output, parsed as XML (roxmltree): the SVG has the title,
//! axis descriptions, category labels and legend names as text, one
//! polyline per line series, one rectangle per bar, one circle per point;
//! and `examples/chart_example.memo` still draws exactly the committed
//! `docs/images/chart_example.svg` shown in docs/language.md.
#![cfg(feature = "charts")]

use std::path::Path;
use std::process::Command;

/// Runs `source` in a temporary directory; returns the text of `out.svg`.
fn draw(source: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.memo"), source).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_memo"))
        .args(["run", "--no-disk-cache", "script.memo"])
        .current_dir(dir.path())
        .output()
        .expect("memo runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(dir.path().join("out.svg")).expect("the chart was written")
}

/// The texts of a document, and how many elements of each name it has.
fn parse(svg: &str) -> (Vec<String>, std::collections::BTreeMap<String, usize>) {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let mut texts = Vec::new();
    let mut counts = std::collections::BTreeMap::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        *counts.entry(n.tag_name().name().to_string()).or_insert(0) += 1;
        if n.tag_name().name() == "text" {
            texts.push(n.text().unwrap_or("").trim().to_string());
        }
    }
    (texts, counts)
}

/// Elements of `name` drawn in a series color (the palette's first ten;
/// axes and ticks are black, the grid gray).
fn in_series_colors(svg: &str, name: &str) -> usize {
    const PALETTE: [&str; 10] =
        ["#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC"];
    PALETTE.iter().map(|c| colored(svg, name, c)).sum()
}

/// Elements of `name` whose `fill` or `stroke` is the color `hex`.
fn colored(svg: &str, name: &str, hex: &str) -> usize {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.tag_name().name() == name)
        .filter(|n| [n.attribute("fill"), n.attribute("stroke")].iter().flatten().any(|c| c.eq_ignore_ascii_case(hex)))
        .count()
}

#[test]
fn a_line_chart_has_its_labels_and_one_line_per_series() {
    let svg = draw(
        r#"chart("out.svg", {"title": "Sales", "x": ["Jan", "Feb", "Mar"], "series": {"North": [1, 3, 2], "South": [2, 2, 5]},
  "x_label": "month", "y_label": "revenue"})"#,
    );
    let (texts, counts) = parse(&svg);
    for want in ["Sales", "month", "revenue", "Jan", "Feb", "Mar", "North", "South"] {
        assert!(texts.iter().any(|t| t == want), "no text {want:?} in {texts:?}");
    }
    assert_eq!(in_series_colors(&svg, "polyline"), 2, "{counts:?}");
    // The first two palette colors draw the two lines.
    assert_eq!(colored(&svg, "polyline", "#4E79A7"), 1);
    assert_eq!(colored(&svg, "polyline", "#F28E2B"), 1);
    let root = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(root.root_element().attribute("width"), Some("800"));
    assert_eq!(root.root_element().attribute("height"), Some("480"));
}

#[test]
fn a_bar_chart_has_one_rectangle_per_bar() {
    let svg = draw(
        r#"chart("out.svg", {"type": "bar", "title": "Units", "x": ["a", "b", "c", "d"], "series": {"x": [1, 2, 3, 4], "y": [4, 3, 2, 1]}, "width": 640, "height": 360})"#,
    );
    let (texts, _) = parse(&svg);
    for want in ["Units", "a", "b", "c", "d", "x", "y"] {
        assert!(texts.iter().any(|t| t == want), "no text {want:?} in {texts:?}");
    }
    // Four bars per series, plus the series' swatch in the legend.
    assert_eq!(colored(&svg, "rect", "#4E79A7"), 5);
    assert_eq!(colored(&svg, "rect", "#F28E2B"), 5);
    assert_eq!(roxmltree::Document::parse(&svg).unwrap().root_element().attribute("width"), Some("640"));
}

#[test]
fn a_scatter_chart_has_one_circle_per_point() {
    let svg = draw(
        r#"chart("out.svg", {"type": "scatter", "x": map(0..50, fn(i) { i * 0.5 }), "y": map(0..50, fn(i) { sin(i * 0.3) })})"#,
    );
    let (texts, counts) = parse(&svg);
    assert_eq!(counts.get("circle"), Some(&50), "{counts:?}");
    assert_eq!(in_series_colors(&svg, "circle"), 50);
    assert!(texts.iter().any(|t| t == "0.5" || t == "-0.5"), "y axis labels: {texts:?}");
    assert_eq!(in_series_colors(&svg, "polyline"), 0, "no lines in a scatter chart");
}

#[test]
fn the_docs_chart_is_what_the_example_draws() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("chart.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_memo"))
        .args(["run", "--no-disk-cache", "--set"])
        .arg(format!("out={}", out_path.display()))
        .arg(root.join("examples/chart_example.memo"))
        .output()
        .expect("memo runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let drawn = std::fs::read_to_string(&out_path).unwrap();
    let committed = std::fs::read_to_string(root.join("docs/images/chart_example.svg")).expect("the committed chart");
    assert!(
        drawn == committed,
        "examples/chart_example.memo draws another chart than docs/images/chart_example.svg; if the change is intended, redraw it:\n  memo run examples/chart_example.memo --set out=docs/images/chart_example.svg"
    );
    let (texts, _) = parse(&drawn);
    for want in ["Monthly revenue by region", "Jan", "Dec", "North", "South", "East", "West", "revenue (k$)"] {
        assert!(texts.iter().any(|t| t == want), "no text {want:?} in {texts:?}");
    }
    assert_eq!(in_series_colors(&drawn, "polyline"), 4);
}
