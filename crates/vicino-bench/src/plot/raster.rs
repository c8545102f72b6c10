//! The chart as a PNG: plotters' bitmap backend drawing into an RGB buffer, wrapped in a
//! [`Canvas`] that draws text itself, and the buffer encoded by the `png` crate.
//!
//! Why the wrapper: plotters 0.3 draws `ab_glyph` text with each glyph at the pen position but
//! without the glyph's left side bearing, so narrow glyphs ("1", "i") sit too far left and words
//! look unevenly spaced ("M=1 6"). [`Canvas`] measures and draws text with the same font metrics
//! (advance, kerning, bearing), so labels are laid out as they are drawn. Lines, markers and fills
//! go to the bitmap backend unchanged.
//!
//! The font is DejaVu Sans, compiled in from the `dejavu` crate (the same bytes `plot.rs`
//! registers for the SVG's layout): nothing is looked up on the machine.

use std::sync::OnceLock;

use super::chart_error;
use crate::{Error as ChartError, Result as ChartResult};
use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters::backend::{BitMapBackend, RGBPixel};
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, IntoDrawingArea};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

use super::ChartSize;

type Inner<'a> = BitMapBackend<'a, RGBPixel>;
type Error<'a> = DrawingErrorKind<<Inner<'a> as DrawingBackend>::ErrorType>;

/// DejaVu Sans, parsed once per process.
fn font() -> ChartResult<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    match FONT.get_or_init(|| FontRef::try_from_slice(dejavu::sans::regular()).ok()) {
        Some(font) => Ok(font),
        None => Err(ChartError::Chart(
            "the built-in font (DejaVu Sans) cannot be read".into(),
        )),
    }
}

/// Runs `draw` on a canvas of `size` (black until `draw` paints it) and returns the bytes of the
/// PNG file.
pub fn render_png<F>(size: ChartSize, draw: F) -> ChartResult<Vec<u8>>
where
    F: FnOnce(DrawingArea<Canvas<'_>, Shift>) -> ChartResult<()>,
{
    let font = font()?;
    // The caller bounds both sides (plot.rs: at most 4096), so this allocation is bounded too.
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let inner = Inner::with_buffer_and_format(&mut rgb, size).map_err(chart_error)?;
        draw(Canvas { inner, font }.into_drawing_area())?;
    }
    encode_png(&rgb, size)
}

/// An 8-bit RGB buffer of `size` as the bytes of a PNG file.
fn encode_png(rgb: &[u8], (width, height): ChartSize) -> ChartResult<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| ChartError::Chart(format!("cannot encode the PNG: {e}")))?;
    writer
        .write_image_data(rgb)
        .map_err(|e| ChartError::Chart(format!("cannot encode the PNG: {e}")))?;
    writer
        .finish()
        .map_err(|e| ChartError::Chart(format!("cannot encode the PNG: {e}")))?;
    Ok(out)
}

/// The bitmap backend with text measured and drawn here (see the module docs). Every piece of
/// text is set in the one built-in font, whatever family the style names.
pub struct Canvas<'a> {
    inner: Inner<'a>,
    font: &'static FontRef<'static>,
}

impl Canvas<'_> {
    /// Width (pen advance with kerning) and height (ascent to descent) of `text` at `size` px.
    fn measure(&self, text: &str, size: f64) -> (f32, f32) {
        let font = self.font.as_scaled(PxScale::from(size as f32));
        let mut width = 0.0;
        let mut prev = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                width += font.kern(p, id);
            }
            width += font.h_advance(id);
            prev = Some(id);
        }
        (width, font.ascent() - font.descent())
    }
}

impl<'a> DrawingBackend for Canvas<'a> {
    type ErrorType = <Inner<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Error<'a>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Error<'a>> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Error<'a>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Error<'a>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Error<'a>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Error<'a>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), Error<'a>> {
        let (width, height) = self.measure(text, style.size());
        Ok((width.ceil() as u32, height.ceil() as u32))
    }

    /// Lays the text out in a box (pen from x = 0, baseline at the ascent), places the box by
    /// the style's anchor, rotates it about `pos` by the style's transform, and blends each
    /// glyph's coverage into the pixels.
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Error<'a>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let size = style.size();
        let (width, height) = self.measure(text, size);
        let (width, height) = (width.round() as i32, height.round() as i32);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Center => -width / 2,
            HPos::Right => -width,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (canvas_w, canvas_h) = self.get_size();

        let scale = PxScale::from(size as f32);
        let font = self.font.as_scaled(scale);
        let mut pen = 0.0;
        let mut prev = None;
        let mut pixels = Vec::new();
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                pen += font.kern(p, id);
            }
            prev = Some(id);
            let glyph = id.with_scale_and_position(scale, point(pen, font.ascent()));
            pen += font.h_advance(id);
            let Some(outline) = self.font.outline_glyph(glyph) else {
                continue; // a space, or a character the font lacks
            };
            let bounds = outline.px_bounds();
            let (left, top) = (bounds.min.x as i32, bounds.min.y as i32);
            outline.draw(|x, y, coverage| {
                pixels.push((left + x as i32, top + y as i32, coverage));
            });
        }
        for (x, y, coverage) in pixels {
            let (x, y) = transform.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && (x as u32) < canvas_w && (y as u32) < canvas_h {
                let alpha = f64::from(coverage.clamp(0.0, 1.0));
                self.inner.draw_pixel((x, y), color.mix(alpha))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use plotters::prelude::*;
    use plotters::style::text_anchor::Pos;

    use super::*;

    /// The bounding box (left, top, right, bottom) of the non-white pixels of `text` drawn at
    /// (100, 100) on a white 200 x 200 canvas with `anchor` and `transform`.
    fn ink(text: &str, anchor: Pos, transform: FontTransform) -> (u32, u32, u32, u32) {
        let png = render_png((200, 200), |root| {
            root.fill(&WHITE)?;
            let style = ("sans-serif", 60)
                .into_font()
                .transform(transform)
                .color(&BLACK)
                .pos(anchor);
            root.draw(&Text::new(text, (100, 100), style))?;
            Ok(())
        })
        .unwrap();
        let mut reader = png::Decoder::new(png.as_slice()).read_info().unwrap();
        let mut rgb = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut rgb).unwrap();
        let (mut left, mut top, mut right, mut bottom) = (u32::MAX, u32::MAX, 0, 0);
        for (i, px) in rgb.chunks_exact(3).enumerate() {
            if px.iter().any(|&c| c < 128) {
                let (x, y) = (i as u32 % 200, i as u32 / 200);
                (left, top) = (left.min(x), top.min(y));
                (right, bottom) = (right.max(x), bottom.max(y));
            }
        }
        assert!(left <= right, "{text:?} left ink");
        (left, top, right, bottom)
    }

    #[test]
    fn centred_text_is_centred_on_its_point() {
        // "1" has a wide left side bearing: drawn without it (plotters' own ab_glyph text), its
        // ink would sit about 8 px left of centre at this size.
        let centre = Pos::new(HPos::Center, VPos::Center);
        for text in ["1", "11", "i1i"] {
            let (left, _, right, _) = ink(text, centre, FontTransform::None);
            let mid = (left + right) as f64 / 2.0;
            assert!((mid - 100.0).abs() <= 3.0, "{text:?}: ink {left}..{right}");
        }
    }

    #[test]
    fn anchors_and_rotation_place_the_box() {
        let top_left = Pos::new(HPos::Left, VPos::Top);
        let (left, top, right, bottom) = ink("Hx", top_left, FontTransform::None);
        assert!(
            (100..=106).contains(&left) && (100..=120).contains(&top),
            "{left},{top}"
        );
        assert!(right - left > bottom - top, "wider than tall");
        // Rotated a quarter turn (the y axis title): taller than wide, going up from the point.
        let (left, top, right, bottom) = ink("Hxxx", top_left, FontTransform::Rotate270);
        assert!(bottom - top > right - left, "taller than wide");
        assert!(
            bottom <= 100 && left >= 100,
            "{left}..{right} x {top}..{bottom}"
        );
    }
}
