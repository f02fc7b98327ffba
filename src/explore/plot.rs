//! Rendering maps and training curves to PNG or SVG (by the output's extension) with
//! plotters. Text uses the bundled DejaVu Sans (`DejaVuSans.ttf`, licence beside it), so no
//! system font library is needed.
//!
//! Labels are placed greedily in priority order (the caller lists the most important first):
//! a label whose box would overlap a placed one is tried on the other side of its point, then
//! dropped, so dense regions do not turn into mush.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};

const FONT: &str = "sans-serif";
static REGISTER: Once = Once::new();

fn fonts() {
    REGISTER.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("DejaVuSans.ttf");
        // a font that fails to parse leaves text out; every shape is still drawn
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, bytes);
    });
}

/// Ten distinguishable colours (Tableau 10), then grey for the rest.
const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

fn colour(g: usize) -> RGBColor {
    let (r, gr, b) = PALETTE.get(g).copied().unwrap_or((170, 170, 170));
    RGBColor(r, gr, b)
}

/// One point of a map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPoint {
    /// Coordinates.
    pub x: f64,
    /// Coordinates.
    pub y: f64,
    /// Colour group (index into [`Map::groups`]).
    pub group: usize,
    /// Text to show beside the point, if chosen.
    pub label: Option<String>,
}

/// A 2-D map of a table.
#[derive(Debug, Clone, Default)]
pub struct Map {
    /// Title line.
    pub title: String,
    /// Names of the colour groups (legend), at most 10 shown; the rest are grey.
    pub groups: Vec<String>,
    /// Points; labelled ones in priority order first.
    pub points: Vec<MapPoint>,
}

/// Series of a training-curve plot: a name and `(epoch, value)` points.
pub type Curve = (String, Vec<(f64, f64)>);

fn draw_err<E: std::fmt::Debug>(path: &Path) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Param(format!("{}: cannot draw the plot: {e:?}", path.display()))
}

enum Kind {
    Png,
    Svg,
}

fn kind(out: &Path) -> Result<Kind> {
    match out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => Ok(Kind::Png),
        Some("svg") => Ok(Kind::Svg),
        _ => Err(Error::Param(format!(
            "{}: the plot's file name must end in .png or .svg",
            out.display()
        ))),
    }
}

/// Draw `map` to `out` (`.png` or `.svg`), `size` pixels. Returns how many labels were placed.
pub fn render_map(map: &Map, out: &Path, size: (u32, u32)) -> Result<usize> {
    fonts();
    match kind(out)? {
        Kind::Png => {
            let root = BitMapBackend::new(out, size).into_drawing_area();
            let n = draw_map(&root, map).map_err(draw_err(out))?;
            root.present().map_err(draw_err(out))?;
            Ok(n)
        }
        Kind::Svg => {
            let root = SVGBackend::new(out, size).into_drawing_area();
            let n = draw_map(&root, map).map_err(draw_err(out))?;
            root.present().map_err(draw_err(out))?;
            Ok(n)
        }
    }
}

type DrawResult<T, DB> =
    std::result::Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn bounds(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let lo = v.clone().fold(f64::MAX, f64::min);
    let hi = v.fold(f64::MIN, f64::max);
    if lo >= hi {
        (lo - 1.0, hi + 1.0)
    } else {
        let pad = (hi - lo) * 0.04;
        (lo - pad, hi + pad)
    }
}

fn draw_map<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, map: &Map) -> DrawResult<usize, DB> {
    root.fill(&WHITE)?;
    let (x0, x1) = bounds(map.points.iter().map(|p| p.x));
    let (y0, y1) = bounds(map.points.iter().map(|p| p.y));
    let mut chart = ChartBuilder::on(root)
        .caption(&map.title, (FONT, 22))
        .margin(12)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    let radius = if map.points.len() > 5000 { 1 } else { 2 };
    // grey (ungrouped and 11th+) points first, so coloured ones stay visible
    let mut order: Vec<usize> = (0..map.points.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(map.points[i].group.min(PALETTE.len())));
    chart.draw_series(order.iter().map(|&i| {
        let p = &map.points[i];
        Circle::new((p.x, p.y), radius, colour(p.group).mix(0.75).filled())
    }))?;
    // legend: one invisible series per named group
    for (g, name) in map.groups.iter().enumerate().take(PALETTE.len()) {
        let c = colour(g);
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label(name.as_str())
            .legend(move |(x, y)| Circle::new((x + 6, y), 4, c.filled()));
    }
    if !map.groups.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 13))
            .draw()?;
    }
    // labels, greedily, in priority order
    let style = TextStyle::from((FONT, 12).into_font()).color(&BLACK);
    let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
    let (w, h) = root.dim_in_pixel();
    let overlaps = |b: &(i32, i32, i32, i32), placed: &[(i32, i32, i32, i32)]| {
        placed
            .iter()
            .any(|p| b.0 < p.2 && p.0 < b.2 && b.1 < p.3 && p.1 < b.3)
            || b.0 < 0
            || b.1 < 0
            || b.2 > w as i32
            || b.3 > h as i32
    };
    for p in &map.points {
        let Some(text) = &p.label else { continue };
        let (px, py) = chart.backend_coord(&(p.x, p.y));
        let tw = (text.chars().count() as i32) * 7 + 2;
        let th = 14;
        let right = (px + 4, py - th / 2, px + 4 + tw, py + th / 2);
        let left = (px - 4 - tw, py - th / 2, px - 4, py + th / 2);
        let spot = [right, left].into_iter().find(|b| !overlaps(b, &placed));
        if let Some(b) = spot {
            root.draw(&Text::new(text.clone(), (b.0, b.1), style.clone()))?;
            placed.push(b);
        }
    }
    Ok(placed.len())
}

/// Draw training curves (one line per series) to `out`.
pub fn render_curves(title: &str, curves: &[Curve], out: &Path, size: (u32, u32)) -> Result<()> {
    fonts();
    if curves.iter().all(|c| c.1.is_empty()) {
        return Err(Error::Param("no per-epoch values to plot".into()));
    }
    match kind(out)? {
        Kind::Png => {
            let root = BitMapBackend::new(out, size).into_drawing_area();
            draw_curves(&root, title, curves).map_err(draw_err(out))?;
            root.present().map_err(draw_err(out))
        }
        Kind::Svg => {
            let root = SVGBackend::new(out, size).into_drawing_area();
            draw_curves(&root, title, curves).map_err(draw_err(out))?;
            root.present().map_err(draw_err(out))
        }
    }
}

fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    curves: &[Curve],
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let all = curves.iter().flat_map(|c| c.1.iter());
    let (x0, x1) = bounds(all.clone().map(|p| p.0));
    let (y0, y1) = bounds(all.map(|p| p.1));
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("value")
        .label_style((FONT, 12))
        .draw()?;
    for (k, (name, pts)) in curves.iter().enumerate() {
        let c = colour(k);
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled())))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 13))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_curves_render_to_png_and_svg_with_labels() {
        let dir = std::env::temp_dir().join(format!("recsys-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut points = Vec::new();
        for i in 0..300 {
            let t = f64::from(i) * 0.1;
            points.push(MapPoint {
                x: t.cos() * t,
                y: t.sin() * t,
                group: i as usize % 3,
                label: (i % 10 == 0).then(|| format!("p{i}")),
            });
        }
        // two labels at the same spot: one of them is dropped
        points.insert(
            0,
            MapPoint {
                x: 0.0,
                y: 0.0,
                group: 0,
                label: Some("first".into()),
            },
        );
        points.insert(
            1,
            MapPoint {
                x: 0.0,
                y: 0.0,
                group: 1,
                label: Some("second".into()),
            },
        );
        points.insert(
            2,
            MapPoint {
                x: 0.0,
                y: 0.0,
                group: 2,
                label: Some("third".into()),
            },
        );
        let map = Map {
            title: "spiral".into(),
            groups: vec!["a".into(), "b".into(), "c".into()],
            points,
        };
        let png = dir.join("m.png");
        let placed = render_map(&map, &png, (600, 500)).unwrap();
        assert!((10..33).contains(&placed), "{placed}");
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let svg = dir.join("m.svg");
        render_map(&map, &svg, (600, 500)).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.contains("<svg") && text.contains("first") && !text.contains(">third<"));
        let curves = vec![("loss".to_string(), vec![(1.0, 0.9), (2.0, 0.5), (3.0, 0.4)])];
        render_curves("training", &curves, &dir.join("c.png"), (500, 300)).unwrap();
        assert!(render_map(&map, &dir.join("m.jpg"), (100, 100)).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
