//! The `vicinity bench --plot` chart: queries per second (log scale) against recall@k, as
//! ANN-benchmarks draws it. One series of points per (library, configuration), and per library
//! its Pareto front (the points no other point of that library beats on both axes) as a line.
//!
//! The SVG is rendered to a string (text as `<text>` elements, so no font files are needed) and
//! written atomically like the JSON lines.

use std::path::Path;

use anyhow::{Context, Result};
use plotters::prelude::*;

use super::bench::write_atomic;

/// One measurement on the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotPoint {
    /// Whose index: one Pareto front per library.
    pub library: String,
    /// The build settings (e.g. "M=16"): one series per (library, config).
    pub config: String,
    pub recall: f64,
    pub qps: f64,
}

/// The points of `points` that no other point of the same library dominates (at least as good
/// on recall and on QPS, better on one), grouped by library in order of first appearance and
/// sorted by recall within each.
pub fn pareto_front(points: &[PlotPoint]) -> Vec<PlotPoint> {
    let dominates = |q: &PlotPoint, p: &PlotPoint| {
        q.library == p.library
            && q.recall >= p.recall
            && q.qps >= p.qps
            && (q.recall > p.recall || q.qps > p.qps)
    };
    let mut front = Vec::new();
    for library in libraries(points) {
        let mut mine: Vec<PlotPoint> = points
            .iter()
            .filter(|p| p.library == library && !points.iter().any(|q| dominates(q, p)))
            .cloned()
            .collect();
        mine.sort_by(|a, b| a.recall.total_cmp(&b.recall).then(b.qps.total_cmp(&a.qps)));
        front.extend(mine);
    }
    front
}

/// Draws QPS against recall@`k` for `points` under `title` and writes the SVG to `path`
/// atomically. Points with a non-finite or non-positive QPS or recall are left out.
pub fn plot_qps_recall(points: &[PlotPoint], k: usize, title: &str, path: &Path) -> Result<()> {
    let svg = render_svg(points, k, title)?;
    write_atomic(path, &svg, "--plot")
}

/// The chart as SVG text.
fn render_svg(points: &[PlotPoint], k: usize, title: &str) -> Result<String> {
    let points: Vec<PlotPoint> = points
        .iter()
        .filter(|p| p.qps.is_finite() && p.qps > 0.0 && p.recall.is_finite())
        .cloned()
        .collect();
    let min_recall = points.iter().map(|p| p.recall).fold(1.0, f64::min);
    let x_low = ((min_recall * 10.0).floor() / 10.0).clamp(0.0, 0.9);
    let (qps_low, qps_high) = points
        .iter()
        .fold(None, |range: Option<(f64, f64)>, p| {
            Some(range.map_or((p.qps, p.qps), |(lo, hi)| (lo.min(p.qps), hi.max(p.qps))))
        })
        .unwrap_or((1.0, 10.0));
    let y_range = (qps_low / 1.5)..(qps_high * 1.5);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 600)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(75)
            .build_cartesian_2d(x_low..1.0, y_range.log_scale())?;
        chart
            .configure_mesh()
            .x_desc(format!("Recall@{k}"))
            .y_desc("Queries per second (1 thread)")
            .x_label_formatter(&|x| format!("{x:.2}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()?;

        let mut series: Vec<(String, String)> = Vec::new();
        for p in &points {
            let key = (p.library.clone(), p.config.clone());
            if !series.contains(&key) {
                series.push(key);
            }
        }
        for (i, (library, config)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let mine = points
                .iter()
                .filter(|p| &p.library == library && &p.config == config)
                .map(|p| (p.recall, p.qps));
            chart
                .draw_series(PointSeries::of_element(mine, 4, color, &|c, s, st| {
                    Circle::new(c, s, st.filled())
                }))?
                .label(format!("{library} {config}"))
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
        }

        let front = pareto_front(&points);
        for (i, library) in libraries(&front).into_iter().enumerate() {
            let color = if i == 0 {
                BLACK.to_rgba()
            } else {
                Palette99::pick(series.len() + i).to_rgba()
            };
            let line = front
                .iter()
                .filter(|p| p.library == library)
                .map(|p| (p.recall, p.qps));
            chart
                .draw_series(LineSeries::new(line, color.stroke_width(2)))?
                .label(format!("{library} Pareto front"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }

        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        root.present().context("cannot render the plot")?;
    }
    Ok(svg)
}

/// The distinct libraries of `points`, in order of first appearance.
fn libraries(points: &[PlotPoint]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in points {
        if !names.contains(&p.library) {
            names.push(p.library.clone());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(library: &str, config: &str, recall: f64, qps: f64) -> PlotPoint {
        PlotPoint {
            library: library.into(),
            config: config.into(),
            recall,
            qps,
        }
    }

    #[test]
    fn pareto_front_keeps_the_undominated_points_per_library() {
        let points = vec![
            point("a", "M=8", 0.90, 1000.0),
            point("a", "M=8", 0.95, 500.0),
            point("a", "M=16", 0.90, 800.0), // beaten by (0.90, 1000)
            point("a", "M=16", 0.97, 400.0),
            point("a", "M=16", 0.95, 300.0), // beaten by (0.95, 500)
            point("a", "M=32", 0.99, 100.0),
            point("a", "M=32", 0.98, 50.0), // beaten by (0.99, 100)
            // Another library's points neither beat nor are beaten by a's.
            point("b", "x", 0.80, 5000.0),
            point("b", "x", 0.99, 20.0),
            point("b", "y", 0.85, 4000.0),
            point("b", "y", 0.80, 4000.0), // beaten by (0.85, 4000): equal QPS, better recall
        ];
        let front = pareto_front(&points);
        let front: Vec<(&str, f64, f64)> = front
            .iter()
            .map(|p| (p.library.as_str(), p.recall, p.qps))
            .collect();
        assert_eq!(
            front,
            [
                ("a", 0.90, 1000.0),
                ("a", 0.95, 500.0),
                ("a", 0.97, 400.0),
                ("a", 0.99, 100.0),
                ("b", 0.80, 5000.0),
                ("b", 0.85, 4000.0),
                ("b", 0.99, 20.0),
            ]
        );
        assert!(pareto_front(&[]).is_empty());
    }

    #[test]
    fn the_svg_has_the_title_labels_and_legend() {
        let points = vec![
            point("vicinity", "M=8", 0.42, 20000.0),
            point("vicinity", "M=8", 0.97, 3000.0),
            point("vicinity", "M=16", 0.99, 1500.0),
            point("vicinity", "M=16", 1.0, f64::INFINITY), // left out
        ];
        let svg = render_svg(&points, 10, "sift-128 <test> & co").unwrap();
        assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{svg}");
        for text in [
            "sift-128 &lt;test&gt; &amp; co",
            "Recall@10",
            "Queries per second (1 thread)",
            "vicinity M=8",
            "vicinity M=16",
            "vicinity Pareto front",
        ] {
            assert!(svg.contains(text), "{text} in the SVG");
        }
        // An empty chart still renders.
        assert!(render_svg(&[], 10, "empty").unwrap().contains("empty"));
    }
}
