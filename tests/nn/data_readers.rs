//! The readers of feature `datasets`: `.npz` (NumPy's own archives, stored and deflated, and
//! archives the test zips itself), gzip'd IDX and `data::mnist` on synthetic MNIST-format
//! files the test writes, CSV, and image folders of PNG/JPEG files the test encodes; with
//! every reader's bad input (truncated, wrong magic, bad header, wrong dimensions, bad gzip).

use ferrax::data::mnist::{self, Files};
use ferrax::data::{
    decode_image, parse_csv, parse_idx_gz, parse_npz, read_idx_gz, read_npz, ArraySource, Channels,
    CsvOptions, IdxErrorKind, IdxType, ImageFolder, LabelColumn, Loader, Remainder, Source,
};
use ferrax::prelude::*;
use std::io::Write;
use std::path::Path;

use super::data_npy::{check_golden, npy};
use crate::common::tempdir::TempDir;

fn golden_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/npy"))
}

// ---------------------------------------------------------------- npz

#[test]
fn numpy_archives_stored_and_deflated() {
    let stored = read_npz(golden_dir().join("stored.npz")).unwrap();
    let names: Vec<&str> = stored.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    check_golden("stored.npz:a:int32", &stored[0].1);
    check_golden("stored.npz:b:float32", &stored[1].1);
    let deflated = read_npz(golden_dir().join("deflated.npz")).unwrap();
    assert_eq!(deflated[0].0, "arr_0");
    check_golden("deflated.npz:arr_0:int32", &deflated[0].1);
    check_golden("deflated.npz:arr_1:float64", &deflated[1].1);
}

fn zip_bytes(members: &[(&str, Vec<u8>)], method: zip::CompressionMethod) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in members {
        z.start_file(*name, opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

#[test]
fn npz_bad_input() {
    let good = npy(1, "<i4", false, &[2], &[1, 0, 0, 0, 2, 0, 0, 0]);
    // Not a zip archive, and a truncated one.
    let e = parse_npz(b"PK\x03\x04garbage", "a.npz").unwrap_err();
    assert!(matches!(e.kind, IdxErrorKind::BadHeader { .. }), "{e}");
    let z = zip_bytes(&[("x.npy", good.clone())], zip::CompressionMethod::Deflated);
    for cut in [0, 10, z.len() / 2, z.len() - 5] {
        assert!(parse_npz(&z[..cut], "a.npz").is_err(), "cut {cut}");
    }
    // A member that is not a .npy file: the error names archive and member.
    let mut bad = good.clone();
    bad[0] = 0;
    let z = zip_bytes(
        &[("ok.npy", good.clone()), ("bad.npy", bad)],
        zip::CompressionMethod::Stored,
    );
    let e = parse_npz(&z, "a.npz").unwrap_err();
    assert_eq!(e.file, "a.npz:bad.npy");
    assert!(matches!(e.kind, IdxErrorKind::BadMagic { .. }));
    // A deflated member whose compressed bytes are corrupted.
    let z = zip_bytes(
        &[("x.npy", vec![7u8; 4000])],
        zip::CompressionMethod::Deflated,
    );
    let at = z.windows(5).position(|w| w == b"x.npy").unwrap() + 5;
    let mut c = z.clone();
    for b in &mut c[at..at + 8] {
        *b ^= 0xa5;
    }
    assert!(parse_npz(&c, "a.npz").is_err());
}

// ---------------------------------------------------------------- gzip'd IDX and MNIST

fn idx(code: u8, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, code, dims.len() as u8];
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    b.extend(payload);
    b
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn gzip_idx_equals_the_raw_file() {
    let payload: Vec<u8> = (0..24).map(|i| (i * 11) as u8).collect();
    let raw = idx(0x08, &[2, 3, 4], &payload);
    let (a, ta) = parse_idx_gz(&raw, "raw").unwrap();
    let (b, tb) = parse_idx_gz(&gz(&raw), "gz").unwrap();
    assert_eq!((ta, tb), (IdxType::U8, IdxType::U8));
    assert_eq!(a.shape(), b.shape());
    assert_eq!(a.to_vec::<i32>(), b.to_vec::<i32>());
    // Two concatenated gzip members decode as one stream (as gzip(1) does).
    let mut two = gz(&raw[..10]);
    two.extend(gz(&raw[10..]));
    assert_eq!(
        parse_idx_gz(&two, "gz").unwrap().0.to_vec::<i32>(),
        a.to_vec::<i32>()
    );
}

#[test]
fn gzip_idx_bad_input() {
    let raw = idx(0x08, &[4], &[1, 2, 3, 4]);
    let z = gz(&raw);
    // Truncated compressed stream.
    for cut in [3, 12, z.len() - 4] {
        let e = parse_idx_gz(&z[..cut], "t.gz").unwrap_err();
        assert_eq!(e.file.split(' ').next(), Some("t.gz"), "{e}");
        assert!(e.offset.unwrap() <= cut as u64, "{e}");
    }
    // Corrupted deflate data and a wrong CRC.
    let mut c = z.clone();
    c[12] ^= 0xff;
    assert!(parse_idx_gz(&c, "c.gz").is_err());
    let mut c = z.clone();
    let n = c.len();
    c[n - 8] ^= 1;
    let e = parse_idx_gz(&c, "crc.gz").unwrap_err();
    assert!(matches!(e.kind, IdxErrorKind::Corrupt { .. }), "{e}");
    // Bad IDX inside good gzip: the error names the decompressed offset.
    let e = parse_idx_gz(&gz(&[1, 2, 8, 1, 0, 0, 0, 1, 5]), "m.gz").unwrap_err();
    assert_eq!(e.file, "m.gz (decompressed)");
    assert!(matches!(e.kind, IdxErrorKind::BadMagic { .. }));
    let e = parse_idx_gz(&gz(&idx(0x08, &[5], &[1, 2])), "m.gz").unwrap_err();
    assert!(matches!(
        e.kind,
        IdxErrorKind::TruncatedPayload {
            expected: 5,
            found: 2
        }
    ));
    let e = parse_idx_gz(&gz(&idx(0x08, &[1], &[1, 2])), "m.gz").unwrap_err();
    assert!(
        matches!(e.kind, IdxErrorKind::TrailingBytes { extra: 1 }),
        "{e}"
    );
    // A header announcing 2^32 elements in a few bytes: an error, no large allocation.
    let e = parse_idx_gz(&gz(&idx(0x08, &[65536, 65536], &[0; 100])), "m.gz").unwrap_err();
    assert!(
        matches!(e.kind, IdxErrorKind::TruncatedPayload { .. }),
        "{e}"
    );
}

/// Writes a synthetic MNIST-format data set: `n` images of `h x w` (pixel = (i + r + c) % 256)
/// and labels i % 10, gzip'd or raw per file.
fn write_mnist(dir: &Path, names: &Files, n: (u32, u32), (h, w): (u32, u32), gzip: [bool; 4]) {
    let files = [
        (&names.train_images, n.0, true),
        (&names.train_labels, n.0, false),
        (&names.test_images, n.1, true),
        (&names.test_labels, n.1, false),
    ];
    for ((name, count, images), z) in files.into_iter().zip(gzip) {
        let bytes = if images {
            let px: Vec<u8> = (0..count)
                .flat_map(|i| {
                    (0..h).flat_map(move |r| (0..w).map(move |c| ((i + r + c) % 256) as u8))
                })
                .collect();
            idx(0x08, &[count, h, w], &px)
        } else {
            let l: Vec<u8> = (0..count).map(|i| (i % 10) as u8).collect();
            idx(0x08, &[count], &l)
        };
        let (file, data) = if z {
            (format!("{name}.gz"), gz(&bytes))
        } else {
            (name.to_string(), bytes)
        };
        std::fs::write(dir.join(file), data).unwrap();
    }
}

#[test]
fn mnist_loads_gzip_or_raw_files() {
    let dir = TempDir::new("data", "mnist");
    write_mnist(
        &dir.0,
        &Files::mnist(),
        (12, 5),
        (28, 28),
        [true, false, false, true],
    );
    let m = mnist::load(&dir.0).unwrap();
    assert_eq!(m.train_images.shape(), &[12, 28, 28, 1]);
    assert_eq!(m.test_images.shape(), &[5, 28, 28, 1]);
    assert_eq!(
        m.train_labels.to_vec::<i32>(),
        (0..12).map(|i| i % 10).collect::<Vec<_>>()
    );
    let px = m.train_images.to_vec::<f32>();
    // Image 3, row 2, column 7: (3 + 2 + 7) / 255.
    assert_eq!(px[3 * 784 + 2 * 28 + 7], 12.0 / 255.0);
    // EMNIST names.
    let dir = TempDir::new("data", "emnist");
    write_mnist(
        &dir.0,
        &Files::emnist("letters"),
        (4, 3),
        (28, 28),
        [true; 4],
    );
    let m = mnist::load_files(&dir.0, &Files::emnist("letters")).unwrap();
    assert_eq!(m.test_labels.shape(), &[3]);
    // Batches of it through the loader.
    let l = Loader::new(ArraySource::new(&(m.train_images, m.train_labels)), 3)
        .shuffle(&ferrax::random::key(0));
    assert_eq!(l.epoch(0).count(), 2);
}

#[test]
fn mnist_missing_and_bad_files() {
    let dir = TempDir::new("data", "mnist-bad");
    let e = mnist::load(&dir.0).err().unwrap();
    assert!(matches!(e.kind, IdxErrorKind::NotFound { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("train-images-idx3-ubyte.gz") && msg.contains("https://"),
        "{msg}"
    );
    // Labels count differs from images.
    write_mnist(&dir.0, &Files::mnist(), (6, 2), (4, 4), [false; 4]);
    std::fs::write(
        dir.0.join("t10k-labels-idx1-ubyte"),
        idx(0x08, &[3], &[0, 1, 2]),
    )
    .unwrap();
    let e = mnist::load(&dir.0).err().unwrap();
    assert!(
        matches!(e.kind, IdxErrorKind::DimensionMismatch { .. }),
        "{e}"
    );
    assert!(e.file.ends_with("t10k-labels-idx1-ubyte"));
    // Images stored as float32, and images of rank 2.
    std::fs::write(
        dir.0.join("t10k-labels-idx1-ubyte"),
        idx(0x08, &[2], &[0, 1]),
    )
    .unwrap();
    std::fs::write(
        dir.0.join("train-images-idx3-ubyte"),
        idx(0x0D, &[1, 1, 1], &[0; 4]),
    )
    .unwrap();
    let e = mnist::load(&dir.0).err().unwrap();
    assert!(matches!(e.kind, IdxErrorKind::WrongType { .. }), "{e}");
    std::fs::write(
        dir.0.join("train-images-idx3-ubyte"),
        idx(0x08, &[6, 16], &[0; 96]),
    )
    .unwrap();
    let e = mnist::load(&dir.0).err().unwrap();
    assert!(
        matches!(e.kind, IdxErrorKind::DimensionMismatch { .. }),
        "{e}"
    );
    // A corrupt .gz is preferred over the raw file and reported with its name.
    std::fs::write(
        dir.0.join("train-images-idx3-ubyte.gz"),
        [0x1f, 0x8b, 8, 0, 1, 2],
    )
    .unwrap();
    let e = mnist::load(&dir.0).err().unwrap();
    assert!(e.file.ends_with("train-images-idx3-ubyte.gz"), "{e}");
    let _ = read_idx_gz(dir.0.join("train-images-idx3-ubyte.gz")).unwrap_err();
}

// ---------------------------------------------------------------- CSV

#[test]
fn csv_numbers_labels_and_classes() {
    let text = b"sepal, petal ,species\n5.1,1.4,setosa\n 7.0 ,4.7,versicolor\n6.3,6.0,setosa\n";
    let opts = CsvOptions {
        label: LabelColumn::Name("species".into()),
        ..Default::default()
    };
    let d = parse_csv(text, "iris.csv", &opts).unwrap();
    assert_eq!(d.features.shape(), &[3, 2]);
    assert_eq!(
        d.features.to_vec::<f32>(),
        vec![5.1, 1.4, 7.0, 4.7, 6.3, 6.0]
    );
    assert_eq!(d.labels.unwrap().to_vec::<i32>(), vec![0, 1, 0]);
    assert_eq!(d.classes, ["setosa", "versicolor"]);
    assert_eq!(d.columns, ["sepal", "petal"]);
    // Integer labels by index from the end, no header, another delimiter.
    let opts = CsvOptions {
        header: false,
        delimiter: b';',
        label: LabelColumn::Index(-1),
    };
    let d = parse_csv(b"1;2;7\n3;4;9\n", "x.csv", &opts).unwrap();
    assert_eq!(d.labels.unwrap().to_vec::<i32>(), vec![7, 9]);
    assert!(d.classes.is_empty());
    assert_eq!(d.columns, ["0", "1"]);
    // No label column.
    let d = parse_csv(b"a,b\n1,2\n", "x.csv", &CsvOptions::default()).unwrap();
    assert!(d.labels.is_none());
    assert_eq!(d.features.shape(), &[1, 2]);
}

#[test]
fn csv_bad_input_names_line_and_offset() {
    let opts = CsvOptions::default();
    let e = parse_csv(b"a,b\n1,2\n3,4,5\n", "r.csv", &opts)
        .err()
        .unwrap();
    assert_eq!(e.offset, Some(8));
    assert!(
        e.to_string()
            .contains("line 3: 3 fields, the first row has 2"),
        "{e}"
    );
    let e = parse_csv(b"a,b\n1,2\n3,abc\n", "r.csv", &opts)
        .err()
        .unwrap();
    assert_eq!(e.offset, Some(10));
    assert!(
        e.to_string()
            .starts_with("r.csv: byte 10: line 3, column 'b': 'abc' is not a number"),
        "{e}"
    );
    let e = parse_csv(b"a,b\n\xff,2\n", "r.csv", &opts).err().unwrap();
    assert!(e.to_string().contains("line 2, column 'a'"), "{e}");
    let named = CsvOptions {
        label: LabelColumn::Name("y".into()),
        ..Default::default()
    };
    let e = parse_csv(b"a,b\n1,2\n", "r.csv", &named).err().unwrap();
    assert!(e.to_string().contains("no column named 'y'"), "{e}");
    let idx = CsvOptions {
        label: LabelColumn::Index(5),
        ..Default::default()
    };
    assert!(parse_csv(b"a,b\n1,2\n", "r.csv", &idx).is_err());
}

// ---------------------------------------------------------------- image folders

fn png(img: &image::DynamicImage) -> Vec<u8> {
    let mut b = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut b), image::ImageFormat::Png)
        .unwrap();
    b
}

#[test]
fn image_folder_classes_sorted_labels_and_pixels() {
    let dir = TempDir::new("data", "imgfolder");
    let root = &dir.0;
    // Classes created out of order; a stray file at the top and a non-image in a class.
    for class in ["zebra", "ant", "mole"] {
        std::fs::create_dir_all(root.join(class)).unwrap();
    }
    std::fs::write(root.join("README.txt"), "x").unwrap();
    std::fs::write(root.join("ant/notes.txt"), "x").unwrap();
    let rgb = |w: u32, h: u32, seed: u8| {
        image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([seed, (x * 10) as u8, (y * 20) as u8])
        }))
    };
    std::fs::write(root.join("zebra/b.png"), png(&rgb(3, 2, 1))).unwrap();
    std::fs::write(root.join("zebra/a.PNG"), png(&rgb(3, 2, 2))).unwrap();
    std::fs::write(root.join("ant/x.png"), png(&rgb(3, 2, 3))).unwrap();
    // A JPEG of one flat colour (JPEG is lossy; a flat block decodes to within a few levels).
    let mut jpg = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
        16,
        8,
        image::Rgb([200, 40, 90]),
    ))
    .write_to(
        &mut std::io::Cursor::new(&mut jpg),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    std::fs::write(root.join("mole/m.jpg"), &jpg).unwrap();

    let ds = ImageFolder::open(root, Channels::Rgb, None).unwrap();
    assert_eq!(ds.classes(), ["ant", "mole", "zebra"]);
    let labels: Vec<i32> = (0..ds.len())
        .map(|i| ds.get(i).unwrap().1.item::<i32>())
        .collect();
    assert_eq!(labels, vec![0, 1, 2, 2]);
    assert!(ds.files()[2].0.ends_with("zebra/a.PNG"));
    // PNG pixels exactly, HWC.
    let (img, _) = ds.get(2).unwrap();
    assert_eq!(img.shape(), &[2, 3, 3]);
    let want: Vec<u8> = (0..2u32)
        .flat_map(|y| (0..3u32).flat_map(move |x| [2, (x * 10) as u8, (y * 20) as u8]))
        .collect();
    assert_eq!(img.to_vec::<u8>(), want);
    let (img, _) = ds.get(1).unwrap();
    assert_eq!(img.shape(), &[8, 16, 3]);
    for px in img.to_vec::<u8>().chunks(3) {
        for (a, b) in px.iter().zip([200u8, 40, 90]) {
            assert!(a.abs_diff(b) <= 3, "{px:?}");
        }
    }
    // Resized to a fixed size (bilinear of a flat image stays flat), batched by the loader.
    let ds = ImageFolder::open(root, Channels::Gray, Some((5, 4))).unwrap();
    let l = Loader::new(ds, 3).remainder(Remainder::Pad).prefetch(1);
    let batches: Vec<_> = l.epoch(0).map(|b| b.unwrap()).collect();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].data.0.shape(), &[3, 5, 4, 1]);
    assert_eq!(batches[0].data.0.dtype(), DType::U8);
    assert_eq!(batches[1].data.1.to_vec::<i32>(), vec![2, 0, 1]);
}

#[test]
fn image_bad_input() {
    let ok = png(&image::DynamicImage::ImageLuma8(image::GrayImage::new(
        4, 4,
    )));
    for (bytes, what) in [
        (&b"not an image"[..], "not a PNG or JPEG"),
        (&ok[..ok.len() / 2], "does not decode"),
        (&b"GIF89a\x01\x00\x01\x00"[..], "not read"),
    ] {
        let e = decode_image(bytes, "p.png", Channels::Rgb, None).unwrap_err();
        assert_eq!(e.file, "p.png");
        assert!(e.to_string().contains(what), "{e}");
    }
    let mut bad = ok.clone();
    bad[20] ^= 0xff; // inside the IHDR chunk: its CRC no longer matches
    assert!(decode_image(&bad, "p.png", Channels::Rgb, None).is_err());
    // A folder without images, a missing folder, and a corrupt image read through get.
    let dir = TempDir::new("data", "imgbad");
    assert!(ImageFolder::open(&dir.0, Channels::Rgb, None).is_err());
    assert!(ImageFolder::open(dir.0.join("missing"), Channels::Rgb, None).is_err());
    std::fs::create_dir_all(dir.0.join("c")).unwrap();
    std::fs::write(dir.0.join("c/x.jpg"), b"\xff\xd8\xff\xe0 truncated").unwrap();
    let ds = ImageFolder::open(&dir.0, Channels::Rgb, None).unwrap();
    let e = ds.get(0).unwrap_err();
    assert!(e.file.ends_with("c/x.jpg"), "{e}");
    let items: Vec<_> = Loader::new(ds, 1).epoch(0).collect();
    assert!(items[0].is_err());
}
