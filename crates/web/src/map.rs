//! Offline maps: a country's outline with markers for centres and buses, drawn as an inline SVG.
//!
//! The outlines are Natural Earth's 1:50m countries (public domain), simplified and committed as
//! `map-data/countries-50m.geo.json` by `scripts/refresh-map.sh`, together with the ISO 3166-1
//! alpha-2 → numeric table `map-data/iso3166.json`. Both are compiled into the binary and parsed at
//! first use; nothing is fetched at run time and the picture needs no JavaScript.
//!
//! The projection is equirectangular with the longitude scaled by the cosine of the middle latitude,
//! which keeps a country-sized map true in shape. The view fits the country and every marker, with a
//! margin.
//!
//! Accessibility: the SVG carries its title both as `aria-label` and as a `<title>`. A map without
//! markers is `role="img"`; a map with markers is `role="group"`, because the children of an `img` are
//! presentational and its links would be hidden from screen readers. Each marker is a link with an
//! `aria-label` and a `<title>` (a tooltip); centres are circles and buses squares, so shape and not
//! colour alone tells them apart. The outline is decorative (`aria-hidden`). Class names (`os-map`,
//! `os-map__land`, `os-map__marker--centre`, `os-map__marker--bus`) let the page's CSS restyle it;
//! presentation attributes give colours that contrast 3:1 or more with a white page.

use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// The country outlines, a GeoJSON FeatureCollection keyed by ISO 3166-1 numeric code.
const COUNTRIES: &str = include_str!("../map-data/countries-50m.geo.json");
/// ISO 3166-1 alpha-2 → numeric code.
const ISO3166: &str = include_str!("../map-data/iso3166.json");

/// The longer side of every map's view box, in SVG user units.
const VIEW_SIZE: f64 = 1000.0;
/// The margin around the fitted content, as a share of its longer side.
const MARGIN: f64 = 0.05;
/// A centre's circle radius, in user units.
const CENTRE_RADIUS: f64 = 11.0;
/// A bus's square side, in user units (about the circle's area).
const BUS_SIDE: f64 = 20.0;

/// What a marker stands for; it decides the marker's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkerKind {
    /// A service centre building (drawn as a circle).
    Centre,
    /// A mobile bus (drawn as a square).
    Bus,
}

/// A point on the map that links to its page.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Latitude in degrees, -90 to 90.
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    pub lon: f64,
    /// Centre or bus.
    pub kind: MarkerKind,
    /// What the marker is called, for its link's accessible name and its tooltip.
    pub label: String,
    /// The page the marker links to.
    pub href: String,
}

/// A polygon: its outer ring, then its holes; each ring a list of (lon, lat).
type Polygon = Vec<Vec<(f64, f64)>>;

/// The outlines and codes, parsed once.
#[derive(Default)]
struct Atlas {
    /// Alpha-2 → numeric.
    numeric: HashMap<String, String>,
    /// Numeric → polygons.
    countries: HashMap<String, Vec<Polygon>>,
}

#[derive(Deserialize)]
struct FeatureCollection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    id: String,
    geometry: Geometry,
}

#[derive(Deserialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    Polygon(Vec<Vec<[f64; 2]>>),
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
}

fn polygon(rings: Vec<Vec<[f64; 2]>>) -> Polygon {
    rings.into_iter().map(|ring| ring.into_iter().map(|[lon, lat]| (lon, lat)).collect()).collect()
}

fn parse_atlas() -> Result<Atlas, serde_json::Error> {
    let numeric: HashMap<String, String> = serde_json::from_str(ISO3166)?;
    let collection: FeatureCollection = serde_json::from_str(COUNTRIES)?;
    let countries = collection
        .features
        .into_iter()
        .map(|feature| {
            let polygons = match feature.geometry {
                Geometry::Polygon(rings) => vec![polygon(rings)],
                Geometry::MultiPolygon(polygons) => polygons.into_iter().map(polygon).collect(),
            };
            (feature.id, polygons)
        })
        .collect();
    Ok(Atlas { numeric, countries })
}

fn atlas() -> &'static Atlas {
    static ATLAS: OnceLock<Atlas> = OnceLock::new();
    ATLAS.get_or_init(|| {
        parse_atlas().unwrap_or_else(|error| {
            tracing::error!(%error, "the embedded map data does not parse; maps are unavailable");
            Atlas::default()
        })
    })
}

/// The outline of the country with ISO 3166-1 alpha-2 code `alpha2` (any case).
fn outline(alpha2: &str) -> Option<&'static [Polygon]> {
    let atlas = atlas();
    let numeric = atlas.numeric.get(&alpha2.to_ascii_uppercase())?;
    atlas.countries.get(numeric).map(Vec::as_slice)
}

/// A box in degrees.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    west: f64,
    east: f64,
    south: f64,
    north: f64,
}

impl Bounds {
    fn empty() -> Self {
        Self { west: f64::INFINITY, east: f64::NEG_INFINITY, south: f64::INFINITY, north: f64::NEG_INFINITY }
    }

    fn add(&mut self, (lon, lat): (f64, f64)) {
        self.west = self.west.min(lon);
        self.east = self.east.max(lon);
        self.south = self.south.min(lat);
        self.north = self.north.max(lat);
    }
}

/// Maps (lon, lat) to view box coordinates.
struct Projection {
    /// Whether longitudes west of Greenwich are moved east by 360° (a country across the antimeridian).
    wrap: bool,
    bounds: Bounds,
    /// cos(middle latitude).
    k: f64,
    margin: f64,
    scale: f64,
    width: f64,
    height: f64,
}

impl Projection {
    fn fit(points: impl Iterator<Item = (f64, f64)> + Clone) -> Self {
        let mut plain = Bounds::empty();
        points.clone().for_each(|p| plain.add(p));
        // Russia, Fiji, the United States, ...: drawn across the antimeridian rather than world-wide.
        let wrap = plain.east - plain.west > 180.0;
        let bounds = if wrap {
            let mut wrapped = Bounds::empty();
            points.for_each(|p| wrapped.add(unwrap(p)));
            wrapped
        } else {
            plain
        };
        let k = ((bounds.south + bounds.north) / 2.0).to_radians().cos().max(0.1);
        let span = ((bounds.east - bounds.west) * k).max(bounds.north - bounds.south).max(1e-6);
        let margin = span * MARGIN;
        let scale = VIEW_SIZE / (span + 2.0 * margin);
        let width = ((bounds.east - bounds.west) * k + 2.0 * margin) * scale;
        let height = (bounds.north - bounds.south + 2.0 * margin) * scale;
        Self { wrap, bounds, k, margin, scale, width, height }
    }

    fn project(&self, point: (f64, f64)) -> (f64, f64) {
        let (lon, lat) = if self.wrap { unwrap(point) } else { point };
        (
            (self.margin + (lon - self.bounds.west) * self.k) * self.scale,
            (self.margin + self.bounds.north - lat) * self.scale,
        )
    }
}

/// A longitude west of Greenwich moved east by 360°.
fn unwrap((lon, lat): (f64, f64)) -> (f64, f64) {
    if lon < 0.0 { (lon + 360.0, lat) } else { (lon, lat) }
}

/// A coordinate rounded to a tenth of a user unit, without a trailing `.0` and never `-0`.
fn num(value: f64) -> String {
    let tenths = (value * 10.0).round();
    if tenths == 0.0 {
        "0".to_owned()
    } else if tenths % 10.0 == 0.0 {
        format!("{}", tenths / 10.0)
    } else {
        format!("{:.1}", tenths / 10.0)
    }
}

/// `text` escaped for XML text and attribute values; characters XML 1.0 forbids are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether a marker's position can be drawn.
fn placeable(marker: &Marker) -> bool {
    marker.lat.is_finite()
        && marker.lon.is_finite()
        && (-90.0..=90.0).contains(&marker.lat)
        && (-180.0..=180.0).contains(&marker.lon)
}

/// The SVG path data of the outline.
fn path_data(polygons: &[Polygon], projection: &Projection) -> String {
    let mut d = String::new();
    for ring in polygons.iter().flatten() {
        let mut points: Vec<(String, String)> = Vec::with_capacity(ring.len());
        for &point in ring {
            let (x, y) = projection.project(point);
            let point = (num(x), num(y));
            if points.last() != Some(&point) {
                points.push(point);
            }
        }
        if points.first() == points.last() {
            points.pop();
        }
        if points.len() < 3 {
            continue;
        }
        for (i, (x, y)) in points.iter().enumerate() {
            let command = match i {
                0 => "M",
                1 => "L",
                _ => " ",
            };
            let _ = write!(d, "{command}{x} {y}");
        }
        d.push('Z');
    }
    d
}

/// An accessible inline SVG map of the country with ISO 3166-1 alpha-2 code `country_alpha2` (any case)
/// and `markers` on it, titled `title`; `None` when the country has no outline.
///
/// The view fits the country and every marker, so a marker outside the country still shows. A marker
/// whose latitude or longitude is not a finite number in range is left out. Markers are drawn (and
/// reached by Tab) in the order given. The same input always gives the same text.
pub fn render_svg(country_alpha2: &str, markers: &[Marker], title: &str) -> Option<String> {
    let polygons = outline(country_alpha2)?;
    let markers: Vec<&Marker> = markers.iter().filter(|m| placeable(m)).collect();
    let outline_points = polygons.iter().flatten().flatten().copied();
    let projection = Projection::fit(outline_points.chain(markers.iter().map(|m| (m.lon, m.lat))));

    let title = escape(title);
    let role = if markers.is_empty() { "img" } else { "group" };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"os-map\" viewBox=\"0 0 {} {}\" role=\"{role}\" \
         aria-label=\"{title}\">\n<title>{title}</title>\n",
        num(projection.width),
        num(projection.height),
    );
    let _ = writeln!(
        svg,
        "<path class=\"os-map__land\" aria-hidden=\"true\" fill=\"#f0f0f0\" stroke=\"#565c65\" \
         stroke-width=\"1.5\" stroke-linejoin=\"round\" fill-rule=\"evenodd\" d=\"{}\"/>",
        path_data(polygons, &projection)
    );
    for marker in markers {
        let (x, y) = projection.project((marker.lon, marker.lat));
        let label = escape(&marker.label);
        let _ = write!(
            svg,
            "<a class=\"os-map__link\" href=\"{}\" aria-label=\"{label}\"><title>{label}</title>",
            escape(&marker.href)
        );
        let _ = match marker.kind {
            MarkerKind::Centre => write!(
                svg,
                "<circle class=\"os-map__marker os-map__marker--centre\" cx=\"{}\" cy=\"{}\" r=\"{}\" \
                 fill=\"#005ea2\" stroke=\"#fff\" stroke-width=\"3\"/>",
                num(x),
                num(y),
                num(CENTRE_RADIUS)
            ),
            MarkerKind::Bus => write!(
                svg,
                "<rect class=\"os-map__marker os-map__marker--bus\" x=\"{}\" y=\"{}\" width=\"{}\" \
                 height=\"{}\" fill=\"#b50909\" stroke=\"#fff\" stroke-width=\"3\"/>",
                num(x - BUS_SIDE / 2.0),
                num(y - BUS_SIDE / 2.0),
                num(BUS_SIDE),
                num(BUS_SIDE)
            ),
        };
        svg.push_str("</a>\n");
    }
    svg.push_str("</svg>");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(lat: f64, lon: f64, kind: MarkerKind, label: &str) -> Marker {
        Marker { lat, lon, kind, label: label.to_owned(), href: format!("/centres/{label}") }
    }

    /// The view box's width and height.
    fn view_box(svg: &str) -> (f64, f64) {
        let start = svg.find("viewBox=\"0 0 ").unwrap() + "viewBox=\"0 0 ".len();
        let rest = &svg[start..];
        let mut parts = rest[..rest.find('"').unwrap()].split(' ').map(|n| n.parse::<f64>().unwrap());
        (parts.next().unwrap(), parts.next().unwrap())
    }

    /// The value of the first `name="..."` after `from`.
    fn attribute(svg: &str, from: &str, name: &str) -> f64 {
        let rest = &svg[svg.find(from).unwrap()..];
        let start = rest.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        rest[start..start + rest[start..].find('"').unwrap()].parse().unwrap()
    }

    fn bounds(polygons: &[Polygon]) -> Bounds {
        let mut bounds = Bounds::empty();
        polygons.iter().flatten().flatten().for_each(|&p| bounds.add(p));
        bounds
    }

    #[test]
    fn the_embedded_data_parses_and_covers_the_world() {
        let atlas = parse_atlas().unwrap();
        assert!(atlas.numeric.len() >= 249, "{} codes", atlas.numeric.len());
        assert!(atlas.countries.len() >= 200, "{} outlines", atlas.countries.len());
        let reachable = atlas.numeric.values().filter(|n| atlas.countries.contains_key(*n)).count();
        assert!(reachable >= 200, "only {reachable} countries have an outline");
        for code in ["AZ", "GE", "TR", "KZ", "UZ", "FR", "US", "RU", "FJ", "AU", "VA"] {
            assert!(outline(code).is_some(), "no outline for {code}");
        }
    }

    #[test]
    fn azerbaijan_has_an_outline_with_its_real_extent() {
        let polygons = outline("AZ").unwrap();
        assert!(polygons.len() >= 2, "the mainland and Nakhchivan");
        let b = bounds(polygons);
        // Natural Earth 1:50m: lon 44.77–50.37 (the 1:10m data adds Pirallahı island, to 50.6),
        // lat 38.40–41.89.
        assert!((44.6..44.9).contains(&b.west), "{b:?}");
        assert!((50.2..50.7).contains(&b.east), "{b:?}");
        assert!((38.25..38.5).contains(&b.south), "{b:?}");
        assert!((41.8..42.0).contains(&b.north), "{b:?}");
        assert_eq!(outline("az").map(<[Polygon]>::len), Some(polygons.len()), "any case");
    }

    #[test]
    fn unknown_country_has_no_map() {
        assert_eq!(render_svg("ZZ", &[], "x"), None);
        assert_eq!(render_svg("", &[], "x"), None);
        assert_eq!(render_svg("AZE", &[], "x"), None);
    }

    #[test]
    fn the_view_fits_azerbaijan_with_a_margin_and_true_shape() {
        let svg = render_svg("AZ", &[], "Azerbaijan").unwrap();
        let (width, height) = view_box(&svg);
        assert_eq!(width, VIEW_SIZE);
        // 5.6° of longitude at cos(40.1°) ≈ 4.28 against 3.49° of latitude.
        let expected = (3.49 + 0.1 * 4.28) / (4.28 * 1.1) * VIEW_SIZE;
        assert!((height - expected).abs() < 10.0, "height {height}, expected about {expected}");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("role=\"img\" aria-label=\"Azerbaijan\">\n<title>Azerbaijan</title>"));
        assert!(svg.ends_with("</svg>"));
        let d = &svg[svg.find(" d=\"").unwrap() + 4..];
        let d = &d[..d.find('"').unwrap()];
        assert!(d.matches('M').count() >= 2, "mainland and Nakhchivan: {d}");
        assert_eq!(d.matches('M').count(), d.matches('Z').count());
        for n in d.split(['M', 'L', 'Z', ' ']).filter(|n| !n.is_empty()) {
            let n: f64 = n.parse().unwrap();
            assert!((0.0..=VIEW_SIZE).contains(&n), "{n} outside the view");
        }
    }

    #[test]
    fn baku_lands_inside_the_view_on_the_right() {
        let svg = render_svg("AZ", &[marker(40.41, 49.87, MarkerKind::Centre, "Baku")], "Centres").unwrap();
        let (width, height) = view_box(&svg);
        let cx = attribute(&svg, "<circle", "cx");
        let cy = attribute(&svg, "<circle", "cy");
        assert!(cx > width * 0.75 && cx < width, "cx {cx} of {width}");
        assert!(cy > 0.0 && cy < height, "cy {cy} of {height}");
        // Baku lies south of the middle of Azerbaijan's latitudes (38.4–41.9), just.
        assert!(cy > height * 0.4 && cy < height * 0.6, "cy {cy} of {height}");
        assert!(svg.contains("role=\"group\""), "links inside need a role that keeps its children");
    }

    #[test]
    fn buses_are_squares_and_centres_circles() {
        let svg = render_svg(
            "AZ",
            &[
                marker(40.41, 49.87, MarkerKind::Centre, "BAKU-1"),
                marker(40.68, 46.36, MarkerKind::Bus, "BUS-01"),
                marker(41.2, 47.17, MarkerKind::Centre, "SHEKI"),
            ],
            "Centres and buses",
        )
        .unwrap();
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(svg.matches("<rect").count(), 1);
        assert_eq!(svg.matches("<a ").count(), 3);
        let bus = &svg[svg.find("href=\"/centres/BUS-01\"").unwrap()..];
        let bus = &bus[..bus.find("</a>").unwrap()];
        assert!(bus.contains("aria-label=\"BUS-01\"><title>BUS-01</title><rect"), "{bus}");
        assert!(bus.contains("width=\"20\" height=\"20\""), "{bus}");
        let order: Vec<usize> = ["BAKU-1", "BUS-01", "SHEKI"]
            .iter()
            .map(|code| svg.find(&format!("href=\"/centres/{code}\"")).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "in the order given");
    }

    #[test]
    fn text_is_escaped() {
        let evil = Marker {
            lat: 40.0,
            lon: 47.0,
            kind: MarkerKind::Centre,
            label: "<script>\"Tom\" & 'Jerry'\u{0}</script>".to_owned(),
            href: "/centres/x?a=1&b=\"2\"".to_owned(),
        };
        let svg = render_svg("AZ", &[evil], "A & B <i>").unwrap();
        assert!(!svg.contains("<script>") && !svg.contains("<i>") && !svg.contains('\u{0}'));
        assert!(svg.contains("aria-label=\"A &amp; B &lt;i&gt;\""));
        assert!(svg.contains("<title>A &amp; B &lt;i&gt;</title>"));
        assert!(
            svg.contains(
                "aria-label=\"&lt;script&gt;&quot;Tom&quot; &amp; &apos;Jerry&apos;&lt;/script&gt;\""
            )
        );
        assert!(svg.contains("href=\"/centres/x?a=1&amp;b=&quot;2&quot;\""));
    }

    #[test]
    fn a_marker_outside_the_country_widens_the_view() {
        let home = render_svg("AZ", &[], "t").unwrap();
        // Tbilisi, north-west of Azerbaijan.
        let away = render_svg("AZ", &[marker(41.72, 44.78, MarkerKind::Bus, "TB")], "t").unwrap();
        let far = render_svg("AZ", &[marker(43.0, 44.0, MarkerKind::Bus, "N")], "t").unwrap();
        let (w, h) = view_box(&far);
        let (x, y) = (attribute(&far, "<rect", "x") + 10.0, attribute(&far, "<rect", "y") + 10.0);
        assert!(x > 0.0 && x < w * 0.1 && y > 0.0 && y < h * 0.1, "({x}, {y}) in {w}×{h}");
        assert_ne!(view_box(&home), view_box(&far));
        assert!(away.contains("<rect"));
    }

    #[test]
    fn markers_that_cannot_be_placed_are_left_out() {
        let svg = render_svg(
            "AZ",
            &[marker(f64::NAN, 47.0, MarkerKind::Centre, "a"), marker(40.0, 400.0, MarkerKind::Bus, "b")],
            "t",
        )
        .unwrap();
        assert_eq!(svg, render_svg("AZ", &[], "t").unwrap());
    }

    #[test]
    fn output_is_deterministic() {
        let markers =
            [marker(40.41, 49.87, MarkerKind::Centre, "a"), marker(39.2, 45.41, MarkerKind::Bus, "b")];
        assert_eq!(render_svg("AZ", &markers, "t"), render_svg("AZ", &markers, "t"));
        assert!(!render_svg("AZ", &markers, "t").unwrap().contains("-0 "));
    }

    #[test]
    fn a_country_across_the_antimeridian_stays_compact() {
        let svg = render_svg("FJ", &[marker(-18.14, 178.44, MarkerKind::Centre, "Suva")], "Fiji").unwrap();
        let (width, height) = view_box(&svg);
        // Fiji spans about 177°E to 178°W: a few degrees, not the whole world.
        assert!(height / width > 0.4, "{width}×{height}");
        let cx = attribute(&svg, "<circle", "cx");
        assert!(cx > 0.0 && cx < width);
        assert!(render_svg("RU", &[], "Russia").is_some());
    }

    #[test]
    fn every_demo_centre_lands_inside_the_view() {
        let text = include_str!("../../../catalogue/asan-demo.yaml");
        let catalogue = onestop_domain::catalogue::parse_catalogue(text).unwrap();
        let markers: Vec<Marker> = catalogue
            .centres
            .iter()
            .map(|c| Marker {
                lat: c.location.lat,
                lon: c.location.lon,
                kind: if c.kind == onestop_domain::catalogue::CentreKind::MobileBus {
                    MarkerKind::Bus
                } else {
                    MarkerKind::Centre
                },
                label: c.name.get_or("en", "az").to_owned(),
                href: format!("/centres/{}", c.code.as_str()),
            })
            .collect();
        assert!(!markers.is_empty());
        let svg = render_svg(&catalogue.country.code, &markers, "ASAN").unwrap();
        let (width, height) = view_box(&svg);
        assert_eq!(svg.matches("<a ").count(), markers.len());
        let mut rest = svg.as_str();
        while let Some(i) = rest.find(" cx=\"") {
            rest = &rest[i..];
            let cx = attribute(rest, " cx", "cx");
            let cy = attribute(rest, " cx", "cy");
            assert!(cx > 0.0 && cx < width && cy > 0.0 && cy < height, "({cx}, {cy})");
            rest = &rest[1..];
        }
    }
}
