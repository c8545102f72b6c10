//! The QPS/recall chart of `vicino bench --plot` and `vicino plot`: queries per second (log
//! scale) against recall@k, as ANN-benchmarks draws it. Each library gets one colour, each of its
//! configurations (e.g. "M=16") one marker shape, and its Pareto front (the points no other point
//! of that library beats on both axes) is a line in its colour.
//!
//! One drawing, two formats, chosen by the output's extension:
//!
//! | format | backend                          | text                                          |
//! |--------|----------------------------------|-----------------------------------------------|
//! | SVG    | plotters' SVG backend, a string  | `<text>` elements (the viewer's sans-serif)   |
//! | PNG    | `raster.rs`: bitmap backend, RGB | drawn from DejaVu Sans, encoded by `png`      |
//!
//! Text is measured (and, in a PNG, drawn) with DejaVu Sans compiled in from the `dejavu` crate
//! and registered in plotters' `ab_glyph` font table, so no system font is looked up: the chart
//! renders the same on a machine with no fonts installed. Either file is written atomically.

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use crate::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;

mod raster;

use self::raster::render_png;

/// One measurement on the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotPoint {
    /// Whose index: one colour and one Pareto front per library.
    pub library: String,
    /// The build settings (e.g. "M=16"): one marker shape per (library, config).
    pub config: String,
    pub recall: f64,
    pub qps: f64,
}

/// The file formats the chart is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartFormat {
    Svg,
    Png,
}

impl ChartFormat {
    /// The format `path`'s extension names (`.svg` or `.png`, any case), if it is one of ours.
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "svg" => Some(Self::Svg),
            "png" => Some(Self::Png),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Svg => "svg",
            Self::Png => "png",
        }
    }
}

/// Width and height of the chart in pixels (an SVG's `width`/`height`, a PNG's IHDR).
pub type ChartSize = (u32, u32);

/// The size `vicino bench --plot` draws at; the layout is designed for it and scaled to others.
pub const DEFAULT_SIZE: ChartSize = (900, 600);

/// The smallest and largest width or height accepted: below the lower the legend and labels no
/// longer fit, above the upper a PNG's pixel buffer alone passes 48 MiB.
pub const SIZE_LIMITS: (u32, u32) = (300, 4096);

/// Tab10, the matplotlib default: distinct hues that stay apart in print.
const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Draws QPS against recall@`k` for `points` under `title` and writes it to `path` atomically:
/// a PNG when `path` ends in `.png`, else an SVG (so `--plot` names other than `.png` keep
/// giving the SVG they always did). Points with a non-finite or non-positive QPS or a
/// non-finite recall are left out.
pub fn plot_qps_recall(points: &[PlotPoint], k: usize, title: &str, path: &Path) -> Result<()> {
    let format = ChartFormat::from_path(path).unwrap_or(ChartFormat::Svg);
    write_chart(points, k, title, path, format, DEFAULT_SIZE, "--plot")
}

/// Renders the chart in `format` at `size` and writes it to `path` atomically; an error names
/// `flag`, the option that gave the path.
pub fn write_chart(
    points: &[PlotPoint],
    k: usize,
    title: &str,
    path: &Path,
    format: ChartFormat,
    size: ChartSize,
    flag: &str,
) -> Result<()> {
    let bytes = render(points, k, title, format, size)?;
    vicino::write_atomic(path, |w| w.write_all(&bytes)).map_err(|e| match e {
        vicino::Error::Io { source, .. } => Error::Io {
            path: format!("{flag} {}", path.display()).into(),
            source,
        },
        other => Error::Index(other),
    })
}

/// The chart as the bytes of an SVG or PNG file.
pub fn render(
    points: &[PlotPoint],
    k: usize,
    title: &str,
    format: ChartFormat,
    size: ChartSize,
) -> Result<Vec<u8>> {
    let (low, high) = SIZE_LIMITS;
    if !(low..=high).contains(&size.0) || !(low..=high).contains(&size.1) {
        return Err(Error::Chart(format!(
            "a chart of {}x{} pixels: width and height must be {low} to {high}",
            size.0, size.1
        )));
    }
    register_fonts()?;
    match format {
        ChartFormat::Svg => {
            let mut svg = String::new();
            draw(
                SVGBackend::with_string(&mut svg, size).into_drawing_area(),
                points,
                k,
                title,
            )?;
            Ok(svg.into_bytes())
        }
        ChartFormat::Png => render_png(size, |root| draw(root, points, k, title)),
    }
}

/// Registers DejaVu Sans as plotters' "sans-serif" once per process. Every piece of text in the
/// chart asks for that family; with the `ab_glyph` feature an unregistered family is an error.
fn register_fonts() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular()).is_ok()
    });
    if !ok {
        return Err(Error::Chart(
            "the built-in font (DejaVu Sans) cannot be read".into(),
        ));
    }
    Ok(())
}

/// Draws the chart on `root`, whatever the backend. Sizes are those of the 900 x 600 design,
/// scaled with the canvas so a larger PNG is not a small chart in a large frame.
fn draw<DB>(root: DrawingArea<DB, Shift>, points: &[PlotPoint], k: usize, title: &str) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let (width, height) = root.dim_in_pixel();
    let scale = (f64::from(width) / f64::from(DEFAULT_SIZE.0))
        .min(f64::from(height) / f64::from(DEFAULT_SIZE.1));
    let px = |design: f64| (design * scale).round().max(1.0);
    let pxu = |design: f64| px(design) as u32;

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
    let (y_low, y_high) = (qps_low / 1.5, qps_high * 1.5);
    let (bold, light) = log_ticks(y_low, y_high);

    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", px(22.0)))
        .margin(pxu(15.0))
        .x_label_area_size(pxu(50.0))
        .y_label_area_size(pxu(80.0))
        .build_cartesian_2d(
            x_low..1.0,
            (y_low..y_high)
                .log_scale()
                .with_key_points(bold)
                .with_light_points(light),
        )?;
    chart
        .configure_mesh()
        .x_desc(format!("Recall@{k}"))
        .y_desc("Queries per second (1 thread)")
        .label_style(("sans-serif", px(13.0)))
        .axis_desc_style(("sans-serif", px(15.0)))
        .x_label_formatter(&|x| format!("{x:.2}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;

    let libraries = libraries(&points);
    let color_of = |library: &str| {
        let i = libraries.iter().position(|l| l == library).unwrap_or(0);
        COLORS[i % COLORS.len()]
    };
    let mut series: Vec<(String, String)> = Vec::new();
    for p in &points {
        let key = (p.library.clone(), p.config.clone());
        if !series.contains(&key) {
            series.push(key);
        }
    }
    let size = pxu(4.0) as i32;
    let mut shape_index: Vec<(String, usize)> = Vec::new();
    for (library, config) in &series {
        // The n-th configuration of a library gets the n-th marker shape.
        let n = match shape_index.iter_mut().find(|(l, _)| l == library) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                shape_index.push((library.clone(), 0));
                0
            }
        };
        let color = color_of(library);
        let mine: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| &p.library == library && &p.config == config)
            .map(|p| (p.recall, p.qps))
            .collect();
        let label = format!("{library} {config}");
        match n % 4 {
            0 => chart
                .draw_series(mine.iter().map(|&c| Circle::new(c, size, color.filled())))?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 10, y), size, color.filled())),
            1 => chart
                .draw_series(
                    mine.iter()
                        .map(|&c| TriangleMarker::new(c, size + 1, color.filled())),
                )?
                .label(label)
                .legend(move |(x, y)| TriangleMarker::new((x + 10, y), size + 1, color.filled())),
            2 => chart
                .draw_series(mine.iter().map(|&c| {
                    EmptyElement::at(c)
                        + Rectangle::new([(-size, -size), (size, size)], color.filled())
                }))?
                .label(label)
                .legend(move |(x, y)| {
                    Rectangle::new(
                        [(x + 10 - size, y - size), (x + 10 + size, y + size)],
                        color.filled(),
                    )
                }),
            _ => chart
                .draw_series(
                    mine.iter()
                        .map(|&c| Cross::new(c, size, color.stroke_width(pxu(2.0)))),
                )?
                .label(label)
                .legend(move |(x, y)| Cross::new((x + 10, y), size, color.stroke_width(2))),
        };
    }

    let front = pareto_front(&points);
    let line_width = pxu(2.0);
    for library in &libraries {
        let color = color_of(library);
        let line = front
            .iter()
            .filter(|p| &p.library == library)
            .map(|p| (p.recall, p.qps));
        chart
            .draw_series(LineSeries::new(line, color.stroke_width(line_width)))?
            .label(format!("{library} Pareto front"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(line_width))
            });
    }

    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .label_font(("sans-serif", px(13.0)))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present().map_err(chart_error)?;
    Ok(())
}

/// Ticks of a log axis over `low..high`: labelled ones at 1, 2 and 5 times each power of ten,
/// grid lines only at the other integer multiples. (plotters' own log ticks start at the first
/// power of ten in the range, leaving e.g. 300..1000 unlabelled.) A range too narrow for four
/// labels gets every multiple labelled.
fn log_ticks(low: f64, high: f64) -> (Vec<f64>, Vec<f64>) {
    let (mut bold, mut light) = (Vec::new(), Vec::new());
    if !(low > 0.0 && low < high && high.is_finite()) {
        return (bold, light);
    }
    for exponent in low.log10().floor() as i32..=high.log10().ceil() as i32 {
        let power = 10f64.powi(exponent);
        for multiple in 1..10 {
            let value = f64::from(multiple) * power;
            if (low..=high).contains(&value) {
                if matches!(multiple, 1 | 2 | 5) {
                    bold.push(value);
                } else {
                    light.push(value);
                }
            }
        }
    }
    if bold.len() < 4 {
        bold.append(&mut light);
        bold.sort_by(f64::total_cmp);
    }
    (bold, light)
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

/// The distinct libraries of `points`, in order of first appearance.
pub fn libraries(points: &[PlotPoint]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in points {
        if !names.contains(&p.library) {
            names.push(p.library.clone());
        }
    }
    names
}

/// A drawing error of plotters (any backend) as ours.
fn chart_error(e: impl std::fmt::Display) -> Error {
    Error::Chart(format!("cannot render the chart: {e}"))
}

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>>
    for Error
{
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        chart_error(e)
    }
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

    fn svg_of(points: &[PlotPoint], title: &str) -> String {
        let bytes = render(points, 10, title, ChartFormat::Svg, DEFAULT_SIZE).unwrap();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn the_svg_has_the_title_labels_and_legend() {
        let points = vec![
            point("vicino", "M=8", 0.42, 20000.0),
            point("vicino", "M=8", 0.97, 3000.0),
            point("vicino", "M=16", 0.99, 1500.0),
            point("vicino", "M=16", 1.0, f64::INFINITY), // left out
            point("hnswlib", "M=16", 0.98, 2500.0),
        ];
        let svg = svg_of(&points, "sift-128 <test> & co");
        assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{svg}");
        for text in [
            "sift-128 &lt;test&gt; &amp; co",
            "Recall@10",
            "Queries per second (1 thread)",
            "vicino M=8",
            "vicino M=16",
            "vicino Pareto front",
            "hnswlib M=16",
            "hnswlib Pareto front",
        ] {
            assert!(svg.contains(text), "{text} in the SVG");
        }
        // An empty chart still renders.
        assert!(svg_of(&[], "empty").contains("empty"));
    }

    /// The pixels of a PNG `render` made, as (width, height, RGB bytes).
    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(png_bytes);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    /// How many pixels of rows `rows` are not white.
    fn inked(width: u32, rgb: &[u8], rows: std::ops::Range<u32>) -> usize {
        let row_bytes = width as usize * 3;
        rgb[rows.start as usize * row_bytes..rows.end as usize * row_bytes]
            .chunks_exact(3)
            .filter(|px| px.iter().any(|&c| c < 200))
            .count()
    }

    #[test]
    fn the_png_is_the_size_asked_and_draws_its_text() {
        let points = vec![
            point("vicino", "M=16", 0.90, 8000.0),
            point("faiss", "M=16", 0.95, 5000.0),
        ];
        let with_title = render(&points, 10, "A title", ChartFormat::Png, (1000, 700)).unwrap();
        assert_eq!(&with_title[..8], b"\x89PNG\r\n\x1a\n");
        let (width, height, rgb) = decode(&with_title);
        assert_eq!((width, height), (1000, 700));
        // The title band is blank but for the title's glyphs, so the font must have drawn them.
        let band = 0..40;
        let (_, _, untitled) =
            decode(&render(&points, 10, "", ChartFormat::Png, (1000, 700)).unwrap());
        assert_eq!(inked(width, &untitled, band.clone()), 0);
        assert!(inked(width, &rgb, band) > 100, "the title is drawn");
        // Axis labels, markers and legend put ink on the rest.
        assert!(inked(width, &rgb, 40..height) > 5_000);
    }

    #[test]
    fn sizes_outside_the_limits_are_refused() {
        for size in [(299, 600), (900, 0), (900, 4097)] {
            let err = render(&[], 10, "t", ChartFormat::Png, size).unwrap_err();
            assert!(err.to_string().contains("300 to 4096"), "{err}");
        }
    }

    #[test]
    fn log_ticks_label_one_two_five() {
        let (bold, light) = log_ticks(250.0, 15_000.0);
        assert_eq!(bold, [500.0, 1000.0, 2000.0, 5000.0, 10_000.0]);
        assert_eq!(light.first(), Some(&300.0));
        assert_eq!(light.last(), Some(&9000.0));
        assert!(!light.contains(&1000.0) && !light.contains(&20_000.0));
        // Too narrow for 1-2-5 labels: every multiple is labelled.
        let (bold, light) = log_ticks(2500.0, 6500.0);
        assert_eq!(bold, [3000.0, 4000.0, 5000.0, 6000.0]);
        assert!(light.is_empty());
        assert_eq!(log_ticks(0.0, 10.0), (vec![], vec![]));
    }

    #[test]
    fn the_format_comes_from_the_extension() {
        let of = |p: &str| ChartFormat::from_path(Path::new(p));
        assert_eq!(of("a/chart.svg"), Some(ChartFormat::Svg));
        assert_eq!(of("chart.PNG"), Some(ChartFormat::Png));
        assert_eq!(of("chart.jpg"), None);
        assert_eq!(of("chart"), None);
        assert_eq!(of("png"), None);
    }
}
