//! Image folders as torchvision's `ImageFolder` reads them: `root/<class>/<image>.png|jpg`,
//! classes sorted by name, feature `datasets`.

use super::idx::{IdxError, IdxErrorKind};
use super::source::Source;
use crate::tensor::Tensor;
use std::path::{Path, PathBuf};

/// The channels an [`ImageFolder`] decodes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channels {
    /// One channel (luma).
    Gray,
    /// Three channels, red, green, blue (torchvision's default, `convert("RGB")`).
    Rgb,
}

/// A labelled image data set on disk: every `png`, `jpg` or `jpeg` file (any case) in each
/// subdirectory of `root`; class `k` is the `k`-th subdirectory in name order, files are
/// taken in name order within a class. Images decode lazily (in [`get`](Source::get)) to
/// `u8[H, W, C]`, optionally resized (bilinear) to a fixed size so batches stack; the label is
/// an `i32` scalar.
///
/// ```
/// use ferrax::data::{Channels, ImageFolder, Source};
/// let root = std::env::temp_dir().join(format!("doc-imgfolder-{}", std::process::id()));
/// for (class, shade) in [("cat", 10u8), ("dog", 200)] {
///     std::fs::create_dir_all(root.join(class)).unwrap();
///     image::GrayImage::from_pixel(4, 2, image::Luma([shade]))
///         .save(root.join(class).join("a.png")).unwrap();
/// }
/// let ds = ImageFolder::open(&root, Channels::Gray, Some((3, 3)))?;
/// assert_eq!(ds.classes(), ["cat", "dog"]);
/// let (img, label) = ds.get(1)?;
/// assert_eq!((img.shape(), label.item::<i32>()), (&[3, 3, 1][..], 1));
/// assert_eq!(img.to_vec::<u8>()[0], 200);
/// # std::fs::remove_dir_all(&root).unwrap();
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ImageFolder {
    classes: Vec<String>,
    files: Vec<(PathBuf, i32)>,
    channels: Channels,
    size: Option<(u32, u32)>,
}

fn io_err(path: &Path, e: std::io::Error) -> IdxError {
    let kind = if e.kind() == std::io::ErrorKind::NotFound {
        IdxErrorKind::NotFound {
            hint: "no such directory".into(),
        }
    } else {
        IdxErrorKind::Io(e)
    };
    IdxError::new(path.display().to_string(), None, kind)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, IdxError> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        v.push(e.map_err(|e| io_err(dir, e))?.path());
    }
    v.sort();
    Ok(v)
}

impl ImageFolder {
    /// Lists `root` (no image is decoded yet). `size` is `(height, width)`; `None` keeps
    /// each image's own size (then only same-sized images batch together). Errors if `root`
    /// is not a readable directory or holds no images.
    ///
    /// ```
    /// use ferrax::data::{Channels, ImageFolder};
    /// assert!(ImageFolder::open("/nonexistent", Channels::Rgb, None).is_err());
    /// ```
    pub fn open(
        root: impl AsRef<Path>,
        channels: Channels,
        size: Option<(u32, u32)>,
    ) -> Result<ImageFolder, IdxError> {
        let root = root.as_ref();
        if let Some((h, w)) = size {
            assert!(
                h > 0 && w > 0,
                "data::ImageFolder::open: resize to ({h}, {w}) needs a non-zero size"
            );
        }
        let mut classes = Vec::new();
        let mut files = Vec::new();
        for dir in sorted_entries(root)? {
            if !dir.is_dir() {
                continue;
            }
            let label = classes.len() as i32;
            classes.push(
                dir.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
            for f in sorted_entries(&dir)? {
                let ext = f
                    .extension()
                    .map(|e| e.to_string_lossy().to_ascii_lowercase());
                if f.is_file() && matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg")) {
                    files.push((f, label));
                }
            }
        }
        if files.is_empty() {
            return Err(IdxError::new(
                root.display().to_string(),
                None,
                IdxErrorKind::NotFound {
                    hint: "no root/<class>/*.png|jpg|jpeg images in this directory".into(),
                },
            ));
        }
        Ok(ImageFolder {
            classes,
            files,
            channels,
            size,
        })
    }

    /// The class names, sorted (label `k` is `classes()[k]`).
    ///
    /// ```
    /// # let root = std::env::temp_dir().join(format!("doc-imgclasses-{}", std::process::id()));
    /// # std::fs::create_dir_all(root.join("b")).unwrap();
    /// # image::GrayImage::new(1, 1).save(root.join("b/x.png")).unwrap();
    /// let ds = ferrax::data::ImageFolder::open(&root, ferrax::data::Channels::Gray, None)?;
    /// assert_eq!(ds.classes(), ["b"]);
    /// # std::fs::remove_dir_all(&root).unwrap();
    /// # Ok::<(), ferrax::data::IdxError>(())
    /// ```
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The image files with their labels, in example order.
    ///
    /// ```
    /// # let root = std::env::temp_dir().join(format!("doc-imgfiles-{}", std::process::id()));
    /// # std::fs::create_dir_all(root.join("b")).unwrap();
    /// # image::GrayImage::new(1, 1).save(root.join("b/x.png")).unwrap();
    /// let ds = ferrax::data::ImageFolder::open(&root, ferrax::data::Channels::Gray, None)?;
    /// assert!(ds.files()[0].0.ends_with("b/x.png"));
    /// # std::fs::remove_dir_all(&root).unwrap();
    /// # Ok::<(), ferrax::data::IdxError>(())
    /// ```
    pub fn files(&self) -> &[(PathBuf, i32)] {
        &self.files
    }
}

/// Decodes PNG or JPEG bytes (format from the content, not the name) to `u8[H, W, C]`,
/// resized bilinearly to `size = (height, width)` if given. `name` is used in errors. The
/// decoder may allocate at most 2048 times the size of `bytes`, or 64 MiB if that is larger,
/// so a small file with a hostile header is an error, not an out-of-memory abort.
///
/// ```
/// use ferrax::data::{decode_image, Channels};
/// let mut png = Vec::new();
/// image::RgbImage::from_pixel(2, 1, image::Rgb([1, 2, 3]))
///     .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
/// let t = decode_image(&png, "x.png", Channels::Rgb, None)?;
/// assert_eq!((t.shape(), t.to_vec::<u8>()), (&[1, 2, 3][..], vec![1, 2, 3, 1, 2, 3]));
/// assert!(decode_image(b"nonsense", "y.png", Channels::Rgb, None).is_err());
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
pub fn decode_image(
    bytes: &[u8],
    name: &str,
    channels: Channels,
    size: Option<(u32, u32)>,
) -> Result<Tensor, IdxError> {
    let corrupt = |what: String| IdxError::new(name, Some(0), IdxErrorKind::Corrupt { what });
    let format =
        image::guess_format(bytes).map_err(|e| corrupt(format!("not a PNG or JPEG image: {e}")))?;
    if !matches!(format, image::ImageFormat::Png | image::ImageFormat::Jpeg) {
        return Err(corrupt(format!(
            "{format:?} images are not read (PNG and JPEG are)"
        )));
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    // Bounded decoding: a hostile header cannot make the decoder allocate more than 2048
    // times the file's size (above deflate's 1032:1) or 64 MiB, whichever is larger.
    let mut limits = image::Limits::default();
    limits.max_alloc = Some((bytes.len() as u64).saturating_mul(2048).max(64 << 20));
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| corrupt(format!("does not decode: {e}")))?;
    let img = match size {
        Some((h, w)) if (img.height(), img.width()) != (h, w) => {
            img.resize_exact(w, h, image::imageops::FilterType::Triangle)
        }
        _ => img,
    };
    let (w, h) = (img.width() as usize, img.height() as usize);
    Ok(match channels {
        Channels::Gray => Tensor::from_vec(img.into_luma8().into_raw(), &[h, w, 1]),
        Channels::Rgb => Tensor::from_vec(img.into_rgb8().into_raw(), &[h, w, 3]),
    })
}

impl Source for ImageFolder {
    type Example = (Tensor, Tensor);

    fn len(&self) -> usize {
        self.files.len()
    }

    fn get(&self, i: usize) -> Result<(Tensor, Tensor), IdxError> {
        let (path, label) = &self.files[i];
        let bytes = super::read_file(path)?;
        let img = decode_image(
            &bytes,
            &path.display().to_string(),
            self.channels,
            self.size,
        )?;
        Ok((img, Tensor::scalar(*label)))
    }
}
