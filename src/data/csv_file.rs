//! CSV tables of numbers with an optional label column (feature `datasets`).

use super::idx::{IdxError, IdxErrorKind};
use crate::tensor::Tensor;
use std::path::Path;

/// Which column holds the labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelColumn {
    /// No labels: every column is a feature.
    None,
    /// The column with this header name (needs a header row).
    Name(String),
    /// The column at this index (0-based; negative counts from the end, `-1` the last).
    Index(isize),
}

/// How [`read_csv`] reads a table.
#[derive(Clone, Debug)]
pub struct CsvOptions {
    /// The first row names the columns (default `true`).
    pub header: bool,
    /// The field separator (default `b','`).
    pub delimiter: u8,
    /// The label column (default: none).
    pub label: LabelColumn,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            header: true,
            delimiter: b',',
            label: LabelColumn::None,
        }
    }
}

/// A numeric table: features as `f32[rows, columns]`, labels as `i32[rows]`.
#[derive(Clone)]
pub struct CsvData {
    /// `f32[rows, feature columns]`.
    pub features: Tensor,
    /// `i32[rows]`: the label column's integers, or, when a label is not an integer, the
    /// index of its text in [`classes`](CsvData::classes). `None` without a label column.
    pub labels: Option<Tensor>,
    /// The feature columns' names (from the header, else `"0"`, `"1"`, ... by position).
    pub columns: Vec<String>,
    /// The label texts, sorted, when the labels are class names (`["setosa", ...]`); empty
    /// when they are integers.
    pub classes: Vec<String>,
}

/// Reads a CSV file of numbers. Every row must have as many fields as the first; feature
/// fields parse as floats (surrounding spaces allowed), the label column as integers or, if
/// any label is not an integer, as class names numbered in sorted order. Errors name the file,
/// the byte offset and the line (and the column).
///
/// ```
/// use ferrax::data::{read_csv, CsvOptions, LabelColumn};
/// let path = std::env::temp_dir().join(format!("doc-csv-{}.csv", std::process::id()));
/// std::fs::write(&path, "x,y,species\n1.5,2,b\n3,4.25,a\n").unwrap();
/// let opts = CsvOptions { label: LabelColumn::Name("species".into()), ..Default::default() };
/// let d = read_csv(&path, &opts)?;
/// assert_eq!(d.features.to_vec::<f32>(), vec![1.5, 2.0, 3.0, 4.25]);
/// assert_eq!(d.labels.unwrap().to_vec::<i32>(), vec![1, 0]);
/// assert_eq!(d.classes, vec!["a", "b"]);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
pub fn read_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<CsvData, IdxError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = super::read_file(path)?;
    parse_csv(&bytes, &name, options)
}

/// Like [`read_csv`] on bytes in memory; `name` is used in errors.
///
/// ```
/// use ferrax::data::{parse_csv, CsvOptions};
/// let err = parse_csv(b"a,b\n1,2\n3,x\n", "t.csv", &CsvOptions::default()).err().unwrap();
/// assert_eq!(err.offset, Some(10));
/// assert!(err.to_string().contains("line 3, column 'b'"), "{err}");
/// ```
pub fn parse_csv(bytes: &[u8], name: &str, options: &CsvOptions) -> Result<CsvData, IdxError> {
    let err = |offset: u64, what: String| {
        Err(IdxError::new(
            name,
            Some(offset),
            IdxErrorKind::Corrupt { what },
        ))
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(options.delimiter)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let mut header: Option<Vec<String>> = None;
    let mut rows: Vec<csv::ByteRecord> = Vec::new();
    let mut width = None;
    for rec in &mut records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let (offset, line) = e.position().map_or((0, 0), |p| (p.byte(), p.line()));
                return err(offset, format!("line {line}: {e}"));
            }
        };
        let pos = rec.position().cloned().unwrap_or_else(csv::Position::new);
        match width {
            None => width = Some(rec.len()),
            Some(w) if w != rec.len() => {
                return err(
                    pos.byte(),
                    format!(
                        "line {}: {} fields, the first row has {w}",
                        pos.line(),
                        rec.len()
                    ),
                )
            }
            _ => {}
        }
        if options.header && header.is_none() {
            header = Some(
                rec.iter()
                    .map(|f| String::from_utf8_lossy(f).trim().to_string())
                    .collect(),
            );
        } else {
            rows.push(rec);
        }
    }
    let width = width.unwrap_or(0);
    let names: Vec<String> = header.unwrap_or_else(|| (0..width).map(|i| i.to_string()).collect());
    let label = match &options.label {
        LabelColumn::None => None,
        LabelColumn::Name(n) => match names.iter().position(|c| c == n) {
            Some(i) if options.header => Some(i),
            _ => {
                return err(
                    0,
                    format!("no column named '{n}' in the header (columns: {names:?})"),
                )
            }
        },
        LabelColumn::Index(i) => {
            let j = if *i < 0 { width as isize + i } else { *i };
            if j < 0 || j as usize >= width {
                return err(
                    0,
                    format!("label column {i} is out of range for {width} columns"),
                );
            }
            Some(j as usize)
        }
    };
    let nf = width - label.is_some() as usize;
    let mut features = Vec::with_capacity(rows.len() * nf);
    let mut label_text = Vec::new();
    for rec in &rows {
        let pos = rec.position().cloned().unwrap_or_else(csv::Position::new);
        let mut field_offset = pos.byte();
        for (j, field) in rec.iter().enumerate() {
            let text = std::str::from_utf8(field).unwrap_or("").trim();
            if Some(j) == label {
                label_text.push(text.to_string());
            } else {
                match text.parse::<f32>() {
                    Ok(v) => features.push(v),
                    Err(_) => {
                        return err(
                            field_offset,
                            format!(
                                "line {}, column '{}': '{}' is not a number",
                                pos.line(),
                                names[j],
                                String::from_utf8_lossy(field)
                            ),
                        )
                    }
                }
            }
            field_offset += field.len() as u64 + 1;
        }
    }
    let (labels, classes) = if label.is_some() {
        match label_text
            .iter()
            .map(|t| t.parse::<i32>())
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(v) => (Some(Tensor::from_vec(v, &[rows.len()])), Vec::new()),
            Err(_) => {
                let mut classes = label_text.clone();
                classes.sort();
                classes.dedup();
                let v = label_text
                    .iter()
                    .map(|t| classes.binary_search(t).map_or(0, |i| i as i32))
                    .collect();
                (Some(Tensor::from_vec(v, &[rows.len()])), classes)
            }
        }
    } else {
        (None, Vec::new())
    };
    let columns = names
        .into_iter()
        .enumerate()
        .filter(|(j, _)| Some(*j) != label)
        .map(|(_, n)| n)
        .collect();
    Ok(CsvData {
        features: Tensor::from_vec(features, &[rows.len(), nf]),
        labels,
        columns,
        classes,
    })
}
