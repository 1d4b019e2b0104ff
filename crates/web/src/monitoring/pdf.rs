//! A small PDF writer for reports: headings, lines of text and tables on A4 landscape pages, in
//! DejaVu Sans (embedded as a subset, so every letter of Azerbaijani, Russian and English shows:
//! ə, ğ, ı, ş, ç, ö, ü, Cyrillic). Built on `pdf-writer`; glyphs are addressed by their subset ids
//! (Identity-H) with a ToUnicode map, so the text can be searched and copied.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use std::collections::BTreeMap;

/// The embedded font (DejaVu Sans; its licence is in `crates/web/fonts/`).
static FONT: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");

/// Page size: A4 landscape, in points.
const WIDTH: f32 = 842.0;
const HEIGHT: f32 = 595.0;
const MARGIN: f32 = 36.0;

enum Op {
    Text { x: f32, y: f32, size: f32, text: String },
    Fill { x: f32, y: f32, w: f32, h: f32, gray: f32 },
}

/// A document being laid out, page by page.
pub struct Document {
    pages: Vec<Vec<Op>>,
    y: f32,
    face: Option<ttf_parser::Face<'static>>,
    title: String,
}

impl Document {
    /// A new document with `title` (also its metadata title).
    pub fn new(title: &str) -> Document {
        let face = ttf_parser::Face::parse(FONT, 0).ok();
        let mut d = Document { pages: vec![Vec::new()], y: HEIGHT - MARGIN, face, title: title.to_owned() };
        d.heading(title, 16.0);
        d
    }

    /// The width of `text` at `size` points.
    pub fn measure(&self, text: &str, size: f32) -> f32 {
        let Some(face) = &self.face else { return text.chars().count() as f32 * size * 0.55 };
        let per_em = f32::from(face.units_per_em());
        text.chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map_or(size * 0.55, |a| f32::from(a) / per_em * size)
            })
            .sum()
    }

    fn fit(&self, text: &str, size: f32, width: f32) -> String {
        if self.measure(text, size) <= width {
            return text.to_owned();
        }
        let mut out = String::new();
        for c in text.chars() {
            if self.measure(&format!("{out}{c}…"), size) > width {
                break;
            }
            out.push(c);
        }
        format!("{out}…")
    }

    fn room(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.pages.push(Vec::new());
            self.y = HEIGHT - MARGIN;
        }
    }

    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// A heading line.
    pub fn heading(&mut self, text: &str, size: f32) {
        self.room(size * 2.0);
        self.y -= size * 1.4;
        let (y, text) = (self.y, self.fit(text, size, WIDTH - 2.0 * MARGIN));
        self.page().push(Op::Text { x: MARGIN, y, size, text });
        self.y -= size * 0.4;
    }

    /// A line of text.
    pub fn line(&mut self, text: &str) {
        let size = 9.0;
        self.room(size * 1.5);
        self.y -= size * 1.4;
        let (y, text) = (self.y, self.fit(text, size, WIDTH - 2.0 * MARGIN));
        self.page().push(Op::Text { x: MARGIN, y, size, text });
    }

    /// A table: a shaded header row and the rows, columns sized to the page; the header repeats on
    /// each new page. Numbers (cells starting with a digit or `-`) are right-aligned.
    pub fn table(&mut self, header: &[String], rows: &[Vec<String>]) {
        let size = 7.5;
        let row_h = size * 1.9;
        let n = header.len().max(1);
        // The first column (names) gets what the others leave.
        let other = ((WIDTH - 2.0 * MARGIN) * 0.62 / (n.saturating_sub(1).max(1)) as f32).min(70.0);
        let first = WIDTH - 2.0 * MARGIN - other * (n - 1) as f32;
        let widths: Vec<f32> = (0..n).map(|i| if i == 0 { first } else { other }).collect();
        let draw_header = |d: &mut Document| {
            d.room(row_h * 2.0);
            d.y -= row_h;
            let y = d.y;
            d.page().push(Op::Fill {
                x: MARGIN,
                y: y - size * 0.5,
                w: WIDTH - 2.0 * MARGIN,
                h: row_h,
                gray: 0.85,
            });
            let mut x = MARGIN;
            for (cell, w) in header.iter().zip(&widths) {
                let text = d.fit(cell, size, w - 4.0);
                d.page().push(Op::Text { x: x + 2.0, y, size, text });
                x += w;
            }
        };
        draw_header(self);
        for (i, row) in rows.iter().enumerate() {
            if self.y - row_h < MARGIN {
                self.pages.push(Vec::new());
                self.y = HEIGHT - MARGIN;
                draw_header(self);
            }
            self.y -= row_h;
            let y = self.y;
            if i % 2 == 1 {
                self.page().push(Op::Fill {
                    x: MARGIN,
                    y: y - size * 0.5,
                    w: WIDTH - 2.0 * MARGIN,
                    h: row_h,
                    gray: 0.95,
                });
            }
            let mut x = MARGIN;
            for (j, (cell, w)) in row.iter().zip(&widths).enumerate() {
                let text = self.fit(cell, size, w - 4.0);
                let numeric = j > 0 && cell.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '—');
                let tx = if numeric { x + w - 2.0 - self.measure(&text, size) } else { x + 2.0 };
                self.page().push(Op::Text { x: tx, y, size, text });
                x += w;
            }
        }
        self.y -= size;
    }

    /// The finished PDF.
    pub fn finish(self) -> Vec<u8> {
        let Some(face) = self.face else { return Vec::new() };
        // Glyphs used, in order of first use, renumbered for the subset.
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut unicode: BTreeMap<u16, char> = BTreeMap::new();
        let mut encode = |text: &str| -> Vec<u8> {
            let mut bytes = Vec::new();
            for c in text.chars() {
                let old = face.glyph_index(c).map_or(0, |g| g.0);
                let new = remapper.remap(old);
                unicode.entry(new).or_insert(c);
                bytes.extend(new.to_be_bytes());
            }
            bytes
        };
        let mut contents = Vec::new();
        for page in &self.pages {
            let mut content = Content::new();
            for op in page {
                match op {
                    Op::Fill { x, y, w, h, gray } => {
                        content.set_fill_gray(*gray).rect(*x, *y, *w, *h).fill_nonzero().set_fill_gray(0.0);
                    }
                    Op::Text { x, y, size, text } => {
                        let glyphs = encode(text);
                        content
                            .begin_text()
                            .set_font(Name(b"F1"), *size)
                            .next_line(*x, *y)
                            .show(Str(&glyphs))
                            .end_text();
                    }
                }
            }
            contents.push(content.finish());
        }
        let subset = subsetter::subset(FONT, 0, &remapper).unwrap_or_else(|_| FONT.to_vec());
        let per_em = f32::from(face.units_per_em());
        let scale = |v: i16| f32::from(v) / per_em * 1000.0;
        let widths: Vec<f32> = remapper
            .remapped_gids()
            .map(|old| {
                face.glyph_hor_advance(ttf_parser::GlyphId(old))
                    .map_or(0.0, |a| f32::from(a) / per_em * 1000.0)
            })
            .collect();

        let mut pdf = Pdf::new();
        let mut next = 1;
        let mut id = || {
            next += 1;
            Ref::new(next)
        };
        let (catalog, tree, font, cid, descriptor, file, cmap, info) =
            (id(), id(), id(), id(), id(), id(), id(), id());
        let page_ids: Vec<(Ref, Ref)> = self.pages.iter().map(|_| (id(), id())).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().map(|(p, _)| *p))
            .count(i32::try_from(page_ids.len()).unwrap_or(0));
        for ((page, content_id), bytes) in page_ids.iter().zip(&contents) {
            let mut p = pdf.page(*page);
            p.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT)).parent(tree).contents(*content_id);
            p.resources().fonts().pair(Name(b"F1"), font);
            p.finish();
            let packed = miniz_oxide::deflate::compress_to_vec_zlib(bytes, 6);
            pdf.stream(*content_id, &packed).filter(Filter::FlateDecode);
        }
        let base = Name(b"ONESTP+DejaVuSans");
        pdf.type0_font(font)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        let system = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
        let mut c = pdf.cid_font(cid);
        c.subtype(CidFontType::Type2).base_font(base).system_info(system).font_descriptor(descriptor);
        c.cid_to_gid_map_predefined(Name(b"Identity"));
        c.widths().consecutive(0, widths);
        c.finish();
        let bbox = face.global_bounding_box();
        pdf.font_descriptor(descriptor)
            .name(base)
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(scale(bbox.x_min), scale(bbox.y_min), scale(bbox.x_max), scale(bbox.y_max)))
            .italic_angle(0.0)
            .ascent(scale(face.ascender()))
            .descent(scale(face.descender()))
            .cap_height(scale(face.capital_height().unwrap_or(face.ascender())))
            .stem_v(80.0)
            .font_file2(file);
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(&subset, 6);
        pdf.stream(file, &packed).filter(Filter::FlateDecode);
        let mut map = pdf_writer::types::UnicodeCmap::new(Name(b"Onestop-UCS"), system);
        for (gid, c) in &unicode {
            map.pair(*gid, *c);
        }
        pdf.cmap(cmap, &map.finish());
        pdf.document_info(info)
            .title(pdf_writer::TextStr(&self.title))
            .producer(pdf_writer::TextStr("onestop"));
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_a_pdf_with_every_letter() {
        let mut d = Document::new("Hesabat — Ağcabədi, Şəki, Göyçay: ıöüç — Отчёт");
        d.line("Xidmət göstərildi: 1 234");
        let header = vec!["Mərkəz".to_owned(), "Gözləmə".to_owned()];
        let rows: Vec<Vec<String>> = (0..120).map(|i| vec![format!("Bakı {i}"), format!("{i}:00")]).collect();
        d.table(&header, &rows);
        let pages = d.pages.len();
        assert!(pages >= 2, "120 rows need a second page");
        let bytes = d.finish();
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(bytes.len() < 200_000, "the font is a subset: {} bytes", bytes.len());
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("/Identity-H") && text.contains("/ToUnicode"));
    }
}
