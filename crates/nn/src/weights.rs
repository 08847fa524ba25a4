//! Saving and loading [`Params`] in the safetensors format (the `safetensors` crate), the
//! format PyTorch and the Hugging Face tools read and write: names, shapes, element types
//! and values are checked on load, everything wrong is reported in one error, and nothing
//! is changed unless everything matches.

use crate::Params;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::panic::Location;
use std::path::Path;
use tapegrad_core::{ErrorKind, Float, Tensor};

/// The key safetensors reserves for the file's metadata: a tensor cannot have this name.
const METADATA_KEY: &str = "__metadata__";

/// Why weights could not be saved or loaded: the file (for the functions that take a
/// path), what is wrong, and the caller's source line.
///
/// Displays as `file: what (at caller.rs:line:column)`. The field `problem` holds the
/// safetensors details (every mismatch, the I/O error); [`kind()`](Self::kind) says what
/// went wrong in the engine's terms, as for every tapegrad error:
///
/// ```
/// use tapegrad_core::ErrorKind;
/// use tapegrad_nn::Params;
/// let err = Params::<f32>::new().load_safetensors_bytes(b"not safetensors").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Format);
/// ```
#[derive(Debug)]
pub struct WeightsError {
    /// The file, for the functions that take a path; `None` for buffers.
    pub path: Option<String>,
    /// What is wrong.
    pub problem: WeightsProblem,
    /// The caller's source location.
    pub location: &'static Location<'static>,
}

/// What is wrong, for a [`WeightsError`].
#[derive(Debug)]
pub enum WeightsProblem {
    /// Reading or writing the file failed.
    Io(std::io::Error),
    /// The bytes are not a valid safetensors file (truncated, a header that claims more
    /// bytes than there are, a tensor name given twice, …).
    Format(String),
    /// A parameter's name cannot be saved: safetensors reserves `__metadata__`.
    ReservedName(String),
    /// The file does not fit the parameters; every difference is listed.
    Mismatch(Box<Mismatch>),
}

/// Every difference between a safetensors file and the parameters loading it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mismatch {
    /// Parameters with no tensor in the file.
    pub missing: Vec<String>,
    /// Tensors in the file with no parameter.
    pub unexpected: Vec<String>,
    /// Tensors whose shape differs from their parameter's.
    pub shapes: Vec<ShapeMismatch>,
    /// Tensors whose element type is not F32, F64 or I64: `(name, dtype)`.
    pub dtypes: Vec<(String, String)>,
    /// Tensors with values that cannot be loaded (non-finite, or beyond the range of the
    /// parameters' element type): the first such element of each.
    pub values: Vec<BadValue>,
}

/// A tensor whose shape differs from its parameter's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeMismatch {
    /// The tensor's name.
    pub name: String,
    /// The parameter's shape.
    pub expected: Vec<usize>,
    /// The file's shape.
    pub found: Vec<usize>,
}

/// The first element of a tensor that cannot be loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct BadValue {
    /// The tensor's name.
    pub name: String,
    /// Flat (row-major) index of the first bad element.
    pub index: usize,
    /// Its value in the file: NaN or ±inf, or a finite value beyond the range of the
    /// parameters' element type.
    pub value: f64,
    /// The parameters' element type (`"f32"`, `"f64"`).
    pub target: &'static str,
    /// How many elements of the tensor are bad.
    pub count: usize,
}

/// Options for [`Params::load_safetensors_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Accept NaN and ±inf weights. Off by default: a non-finite weight is almost always a
    /// diverged training run, and loading it would only move the NaN somewhere else. A
    /// finite value beyond the element type's range (an f64 weight above `f32::MAX` loaded
    /// into f32) is refused either way, since it would silently become infinite.
    pub allow_non_finite: bool,
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        match &self.problem {
            WeightsProblem::Io(e) => write!(f, "{e}")?,
            WeightsProblem::Format(m) => write!(f, "not a valid safetensors file: {m}")?,
            WeightsProblem::ReservedName(name) => write!(
                f,
                "cannot save a parameter named `{name}`: safetensors reserves that name for metadata"
            )?,
            WeightsProblem::Mismatch(m) => write!(f, "{m}")?,
        }
        let at = self.location;
        write!(f, " (at {}:{}:{})", at.file(), at.line(), at.column())
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(format!("missing {:?}", self.missing));
        }
        if !self.unexpected.is_empty() {
            parts.push(format!("unexpected {:?}", self.unexpected));
        }
        for s in &self.shapes {
            parts.push(format!(
                "`{}`: the parameter has shape {:?}, the file has {:?}",
                s.name, s.expected, s.found
            ));
        }
        for (name, dtype) in &self.dtypes {
            parts.push(format!(
                "`{name}`: element type {dtype} is not supported (F32, F64 or I64)"
            ));
        }
        for v in &self.values {
            let what = if v.value.is_finite() {
                format!("is beyond the range of {}", v.target)
            } else {
                "is not finite (see LoadOptions::allow_non_finite)".to_string()
            };
            parts.push(format!(
                "`{}`[{}] = {:e} {what} ({} such element{})",
                v.name,
                v.index,
                v.value,
                v.count,
                if v.count == 1 { "" } else { "s" }
            ));
        }
        write!(
            f,
            "the file does not match the parameters: {}",
            parts.join("; ")
        )
    }
}

impl std::error::Error for WeightsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            WeightsProblem::Io(source) => Some(source),
            _ => None,
        }
    }
}

impl WeightsError {
    /// What went wrong, in the engine's terms: [`ErrorKind::Io`], [`ErrorKind::Format`],
    /// or [`ErrorKind::InvalidArgument`] for a reserved name or a file that does not fit
    /// the parameters (the field `problem` lists how).
    pub fn kind(&self) -> ErrorKind {
        match &self.problem {
            WeightsProblem::Io(e) => ErrorKind::Io(e.kind()),
            WeightsProblem::Format(_) => ErrorKind::Format,
            WeightsProblem::ReservedName(_) | WeightsProblem::Mismatch(_) => {
                ErrorKind::InvalidArgument
            }
        }
    }

    fn new(
        path: Option<&Path>,
        problem: WeightsProblem,
        location: &'static Location<'static>,
    ) -> Self {
        WeightsError {
            path: path.map(|p| p.display().to_string()),
            problem,
            location,
        }
    }
}

impl<T: Float> Params<T> {
    /// The parameters as a safetensors buffer: one tensor per name, in `T`'s element type
    /// (F32 or F64), with `{"format": "pt"}` metadata as PyTorch writes it. A parameter
    /// named `__metadata__` is refused: the format reserves that key, and the file could
    /// not be loaded again.
    #[track_caller]
    pub fn to_safetensors(&self) -> Result<Vec<u8>, WeightsError> {
        let at = Location::caller();
        self.encode()
            .map_err(|problem| WeightsError::new(None, problem, at))
    }

    /// Writes [`to_safetensors`](Self::to_safetensors) to `path`; errors name the file.
    #[track_caller]
    pub fn save_safetensors(&self, path: impl AsRef<Path>) -> Result<(), WeightsError> {
        let (path, at) = (path.as_ref(), Location::caller());
        let fail = |problem| WeightsError::new(Some(path), problem, at);
        let bytes = self.encode().map_err(fail)?;
        std::fs::write(path, bytes).map_err(|e| fail(WeightsProblem::Io(e)))
    }

    /// Loads every parameter from a safetensors buffer with the default [`LoadOptions`]
    /// (non-finite weights refused). See
    /// [`load_safetensors_bytes_with`](Self::load_safetensors_bytes_with).
    #[track_caller]
    pub fn load_safetensors_bytes(&self, bytes: &[u8]) -> Result<(), WeightsError> {
        self.load_safetensors_bytes_with(bytes, LoadOptions::default())
    }

    /// Loads every parameter from a safetensors buffer. The file must hold exactly the
    /// parameters' names (each once) with the same shapes; F32 and F64 tensors are
    /// converted to `T`, and a value that would not survive the conversion (a finite value
    /// beyond `T`'s range) or is not finite (unless `options` allow it) is refused. Every
    /// difference is listed in one [`Mismatch`]; on any error no parameter is changed.
    #[track_caller]
    pub fn load_safetensors_bytes_with(
        &self,
        bytes: &[u8],
        options: LoadOptions,
    ) -> Result<(), WeightsError> {
        let at = Location::caller();
        self.decode(bytes, options)
            .map_err(|problem| WeightsError::new(None, problem, at))
    }

    /// Reads `path` and loads it with the default [`LoadOptions`] (non-finite weights
    /// refused); see [`load_safetensors_with`](Self::load_safetensors_with).
    #[track_caller]
    pub fn load_safetensors(&self, path: impl AsRef<Path>) -> Result<(), WeightsError> {
        self.load_safetensors_with(path, LoadOptions::default())
    }

    /// Reads `path` and loads it as
    /// [`load_safetensors_bytes_with`](Self::load_safetensors_bytes_with) does; errors
    /// name the file.
    #[track_caller]
    pub fn load_safetensors_with(
        &self,
        path: impl AsRef<Path>,
        options: LoadOptions,
    ) -> Result<(), WeightsError> {
        let (path, at) = (path.as_ref(), Location::caller());
        let fail = |problem| WeightsError::new(Some(path), problem, at);
        let bytes = std::fs::read(path).map_err(|e| fail(WeightsProblem::Io(e)))?;
        self.decode(&bytes, options).map_err(fail)
    }

    fn encode(&self) -> Result<Vec<u8>, WeightsProblem> {
        if let Some(name) = self.names().find(|&n| n == METADATA_KEY) {
            return Err(WeightsProblem::ReservedName(name.to_string()));
        }
        let dtype = if T::NAME == "f32" {
            Dtype::F32
        } else {
            Dtype::F64
        };
        let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = self
            .iter()
            .map(|(name, p)| {
                let v = p.value();
                let data = v
                    .as_slice()
                    .iter()
                    .flat_map(|x| {
                        if T::NAME == "f32" {
                            (x.to_f64() as f32).to_le_bytes().to_vec()
                        } else {
                            x.to_f64().to_le_bytes().to_vec()
                        }
                    })
                    .collect();
                (name.to_string(), v.shape().to_vec(), data)
            })
            .collect();
        let views = bytes
            .iter()
            .map(|(name, shape, data)| {
                TensorView::new(dtype, shape.clone(), data)
                    .map(|v| (name.as_str(), v))
                    .map_err(|e| WeightsProblem::Format(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
        safetensors::serialize(views, Some(meta)).map_err(|e| WeightsProblem::Format(e.to_string()))
    }

    fn decode(&self, bytes: &[u8], options: LoadOptions) -> Result<(), WeightsProblem> {
        let file =
            SafeTensors::deserialize(bytes).map_err(|e| WeightsProblem::Format(e.to_string()))?;
        // `safetensors` reads the header into a map, where a repeated name silently
        // replaces the earlier one: look for repeats in the header text itself.
        let repeated = repeated_keys(header(bytes));
        if !repeated.is_empty() {
            return Err(WeightsProblem::Format(format!(
                "tensor names given more than once in the header: {repeated:?}"
            )));
        }
        let mut m = Mismatch::default();
        let mut values = Vec::with_capacity(self.len());
        for (name, p) in self.iter() {
            let Ok(view) = file.tensor(name) else {
                m.missing.push(name.to_string());
                continue;
            };
            let data = elements::<T>(name, &view, options, &mut m);
            if view.shape() != p.shape().as_slice() {
                m.shapes.push(ShapeMismatch {
                    name: name.to_string(),
                    expected: p.shape(),
                    found: view.shape().to_vec(),
                });
            } else if let Some(data) = data {
                values.push(Tensor::from_vec(data, view.shape()));
            }
        }
        m.unexpected = file
            .names()
            .into_iter()
            .filter(|n| self.get(n).is_none())
            .map(String::from)
            .collect();
        m.unexpected.sort();
        if m != Mismatch::default() {
            return Err(WeightsProblem::Mismatch(Box::new(m)));
        }
        for (p, v) in self.params().zip(values) {
            p.set(v);
        }
        Ok(())
    }
}

/// A tensor's elements converted to `T`, or `None` after recording in `m` why they cannot
/// be loaded (element type, or the first bad value).
fn elements<T: Float>(
    name: &str,
    view: &TensorView<'_>,
    options: LoadOptions,
    m: &mut Mismatch,
) -> Option<Vec<T>> {
    let raw: Vec<f64> = match view.dtype() {
        Dtype::F32 => view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
            .collect(),
        Dtype::F64 => view
            .data()
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(std::array::from_fn(|i| b[i])))
            .collect(),
        // integer tensors (PyTorch's `num_batches_tracked` is int64) load as their values,
        // exactly up to 2^53 in f64 and 2^24 in f32 (rounded beyond, as PyTorch's `copy_` does)
        Dtype::I64 => view
            .data()
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(std::array::from_fn(|i| b[i])) as f64)
            .collect(),
        other => {
            m.dtypes.push((name.to_string(), format!("{other:?}")));
            return None;
        }
    };
    let data: Vec<T> = raw.iter().map(|&v| T::from_f64(v)).collect();
    // A finite value that is no longer finite in `T` overflowed: refused whatever the
    // options, since the file does not say "infinite".
    let bad = |(_, (v, x)): &(usize, (&f64, &T))| {
        if v.is_finite() {
            !x.is_finite()
        } else {
            !options.allow_non_finite
        }
    };
    let mut bad_ones = raw.iter().zip(&data).enumerate().filter(bad);
    match bad_ones.next() {
        None => Some(data),
        Some((index, (&value, _))) => {
            m.values.push(BadValue {
                name: name.to_string(),
                index,
                value,
                target: T::NAME,
                count: 1 + bad_ones.count(),
            });
            None
        }
    }
}

/// The JSON header of a safetensors buffer (an 8-byte little-endian length, then the
/// JSON), or `""` if the buffer is too short for it.
fn header(bytes: &[u8]) -> &str {
    let n = bytes
        .get(..8)
        .map(|b| u64::from_le_bytes(std::array::from_fn(|i| b[i])))
        .unwrap_or(0);
    usize::try_from(n)
        .ok()
        .and_then(|n| bytes.get(8..8usize.checked_add(n)?))
        .and_then(|h| std::str::from_utf8(h).ok())
        .unwrap_or("")
}

/// The keys of the header's top-level object that appear more than once.
///
/// # Design
/// The header has already been parsed by `safetensors`, so it is valid JSON and the scan
/// only needs to tell keys from everything else: a key is a string at depth 1 right after
/// `{` or `,`. Escapes are decoded, so `"a"` and `"\u0061"` are the same key, as they are
/// for any JSON reader.
fn repeated_keys(json: &str) -> Vec<String> {
    let (mut seen, mut repeated) = (HashSet::new(), Vec::new());
    let (mut depth, mut key_next) = (0usize, false);
    let mut chars = json.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let s = json_string(&mut chars);
                if depth == 1 && key_next && !seen.insert(s.clone()) {
                    repeated.push(s);
                }
                key_next = false;
            }
            '{' | '[' => {
                depth += 1;
                key_next = c == '{' && depth == 1;
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' => key_next = depth == 1,
            _ => {}
        }
    }
    repeated
}

/// Reads a JSON string after its opening quote, up to and including the closing one,
/// decoding escapes.
fn json_string(chars: &mut std::str::Chars<'_>) -> String {
    let hex = |chars: &mut std::str::Chars<'_>| {
        let digits: String = chars.by_ref().take(4).collect();
        u32::from_str_radix(&digits, 16).unwrap_or(0xFFFD)
    };
    let mut s = String::new();
    while let Some(c) = chars.next() {
        let c = match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => '\n',
                Some('t') => '\t',
                Some('r') => '\r',
                Some('b') => '\u{8}',
                Some('f') => '\u{c}',
                Some('u') => {
                    let mut code = hex(chars);
                    if (0xD800..0xDC00).contains(&code) {
                        // a surrogate pair: `\uD83D\uDE00`
                        chars.by_ref().take(2).for_each(drop);
                        code = 0x10000
                            + ((code - 0xD800) << 10)
                            + (hex(chars).wrapping_sub(0xDC00) & 0x3FF);
                    }
                    char::from_u32(code).unwrap_or('\u{FFFD}')
                }
                Some(other) => other,
                None => break,
            },
            c => c,
        };
        s.push(c);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Param;

    fn model(seed: u64) -> Params<f64> {
        Params::new()
            .with(
                "0.weight",
                &Param::new(Tensor::rand_normal(&[3, 2], 0.0, 1.0, seed)),
            )
            .with(
                "0.bias",
                &Param::new(Tensor::rand_normal(&[3], 0.0, 1.0, seed + 1)),
            )
            .with("out.scale", &Param::new(Tensor::scalar(0.25)))
    }

    #[test]
    fn safetensors_round_trip_through_a_file() {
        let saved = model(1);
        let path =
            std::env::temp_dir().join(format!("tapegrad-nn-{}.safetensors", std::process::id()));
        saved.save_safetensors(&path).unwrap();
        let loaded = model(10);
        assert_ne!(
            loaded.get("0.weight").unwrap().value(),
            saved.get("0.weight").unwrap().value()
        );
        loaded.load_safetensors(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        for ((n1, a), (n2, b)) in saved.iter().zip(loaded.iter()) {
            assert_eq!(n1, n2);
            assert_eq!(a.value(), b.value(), "{n1}");
        }
    }

    #[test]
    fn reads_a_hand_written_f32_file_into_f64() {
        // the format: u64 header length, JSON header, little-endian data
        let header = br#"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header);
        bytes.extend_from_slice(&1.5f32.to_le_bytes());
        bytes.extend_from_slice(&(-2.0f32).to_le_bytes());
        let w = Param::new(Tensor::<f64>::zeros(&[2]));
        Params::new()
            .with("w", &w)
            .load_safetensors_bytes(&bytes)
            .unwrap();
        assert_eq!(w.value().as_slice(), &[1.5, -2.0]);
    }

    #[test]
    fn f32_params_save_as_f32() {
        let p = Params::new().with("w", &Param::new(Tensor::<f32>::vector(vec![0.1, 0.2])));
        let bytes = p.to_safetensors().unwrap();
        let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let view = file.tensor("w").unwrap();
        assert_eq!(view.dtype(), safetensors::Dtype::F32);
        assert_eq!(
            view.data(),
            [0.1f32.to_le_bytes(), 0.2f32.to_le_bytes()].concat()
        );
    }

    /// A safetensors buffer written by hand: `(name, dtype, shape, little-endian bytes)`,
    /// in order, so a test can build what `to_safetensors` never would.
    fn by_hand(tensors: &[(&str, &str, &[usize], Vec<u8>)]) -> Vec<u8> {
        let (mut entries, mut data) = (Vec::new(), Vec::new());
        for (name, dtype, shape, bytes) in tensors {
            let start = data.len();
            data.extend_from_slice(bytes);
            entries.push(format!(
                r#""{name}":{{"dtype":"{dtype}","shape":{shape:?},"data_offsets":[{start},{}]}}"#,
                data.len()
            ));
        }
        let header = format!("{{{}}}", entries.join(","));
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&data);
        out
    }

    fn f64_bytes(xs: &[f64]) -> Vec<u8> {
        xs.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    fn f32_bytes(xs: &[f32]) -> Vec<u8> {
        xs.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn load_lists_every_difference_in_one_error_and_changes_nothing() {
        let file = Params::new()
            .with("0.weight", &Param::new(Tensor::<f64>::zeros(&[2, 3])))
            .with("0.bias", &Param::new(Tensor::<f64>::zeros(&[3])))
            .with("1.weight", &Param::new(Tensor::<f64>::zeros(&[4])))
            .with("stale", &Param::new(Tensor::<f64>::zeros(&[1])))
            .to_safetensors()
            .unwrap();
        let target = model(5);
        let before = target.snapshot();
        let target = target.with("1.weight", &Param::new(Tensor::zeros(&[5])));
        let e = target.load_safetensors_bytes(&file).unwrap_err();
        let WeightsProblem::Mismatch(m) = &e.problem else {
            panic!("{e}")
        };
        assert_eq!(m.missing, ["out.scale"]);
        assert_eq!(m.unexpected, ["stale"]);
        let shapes: Vec<_> = m.shapes.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(shapes, ["0.weight", "1.weight"]);
        assert!(
            e.to_string().starts_with(
                "the file does not match the parameters: missing [\"out.scale\"]; \
                 unexpected [\"stale\"]; `0.weight`: the parameter has shape [3, 2], the file \
                 has [2, 3]; `1.weight`: the parameter has shape [5], the file has [4] (at "
            ),
            "{e}"
        );
        for (name, value) in before {
            assert_eq!(target.get(&name).unwrap().value(), value, "{name}");
        }
        let e = target.load_safetensors_bytes(b"not a file").unwrap_err();
        assert!(
            e.to_string().starts_with("not a valid safetensors file"),
            "{e}"
        );
    }

    #[test]
    fn load_rejects_unsupported_dtype_with_the_other_differences() {
        let bytes = by_hand(&[("w", "I32", &[2], vec![0; 8])]);
        let ps = Params::new()
            .with("w", &Param::new(Tensor::<f32>::zeros(&[3])))
            .with("v", &Param::new(Tensor::<f32>::zeros(&[1])));
        let WeightsProblem::Mismatch(m) = ps.load_safetensors_bytes(&bytes).unwrap_err().problem
        else {
            panic!()
        };
        assert_eq!(m.missing, ["v"]);
        assert_eq!(m.dtypes, [("w".to_string(), "I32".to_string())]);
        assert_eq!(m.shapes.len(), 1);
    }

    #[test]
    fn int64_tensors_load_as_their_values() {
        // PyTorch's `num_batches_tracked` is an int64 scalar
        let bytes = by_hand(&[("n", "I64", &[], 7i64.to_le_bytes().to_vec())]);
        let n = Param::new(Tensor::<f32>::scalar(0.0));
        Params::new()
            .with("n", &n)
            .load_safetensors_bytes(&bytes)
            .unwrap();
        assert_eq!(n.value().item(), 7.0);
        let big = (1i64 << 53) + 1; // rounds to even in f64, as PyTorch's copy_ does
        let bytes = by_hand(&[(
            "n",
            "I64",
            &[2],
            [-3i64, big].iter().flat_map(|v| v.to_le_bytes()).collect(),
        )]);
        let n = Param::new(Tensor::<f64>::zeros(&[2]));
        Params::new()
            .with("n", &n)
            .load_safetensors_bytes(&bytes)
            .unwrap();
        assert_eq!(n.value().as_slice(), &[-3.0, (1u64 << 53) as f64]);
    }

    #[test]
    fn f64_weight_beyond_f32_range_is_refused_with_its_index() {
        let bytes = by_hand(&[("w", "F64", &[3], f64_bytes(&[1.0, 1e300, -1e39]))]);
        let w = Param::new(Tensor::<f32>::zeros(&[3]));
        let ps = Params::new().with("w", &w);
        for options in [
            LoadOptions::default(),
            LoadOptions {
                allow_non_finite: true,
            },
        ] {
            let e = ps.load_safetensors_bytes_with(&bytes, options).unwrap_err();
            let WeightsProblem::Mismatch(m) = &e.problem else {
                panic!("{e}")
            };
            assert_eq!(
                m.values,
                [BadValue {
                    name: "w".into(),
                    index: 1,
                    value: 1e300,
                    target: "f32",
                    count: 2
                }]
            );
            assert!(
                e.to_string()
                    .contains("`w`[1] = 1e300 is beyond the range of f32 (2 such elements)"),
                "{e}"
            );
        }
        assert_eq!(w.value().as_slice(), &[0.0; 3]);
        // the same values load into f64 unchanged
        let w64 = Param::new(Tensor::<f64>::zeros(&[3]));
        Params::new()
            .with("w", &w64)
            .load_safetensors_bytes(&bytes)
            .unwrap();
        assert_eq!(w64.value().as_slice(), &[1.0, 1e300, -1e39]);
    }

    fn non_finite_weights_need_the_option<T: Float>() {
        let values = [1.0, f32::NAN, f32::INFINITY, 2.0];
        for bytes in [
            by_hand(&[("w", "F32", &[4], f32_bytes(&values))]),
            by_hand(&[("w", "F64", &[4], f64_bytes(&values.map(f64::from)))]),
        ] {
            let w = Param::new(Tensor::<T>::zeros(&[4]));
            let ps = Params::new().with("w", &w);
            let e = ps.load_safetensors_bytes(&bytes).unwrap_err();
            let WeightsProblem::Mismatch(m) = &e.problem else {
                panic!("{e}")
            };
            assert_eq!((m.values[0].index, m.values[0].count), (1, 2));
            assert!(m.values[0].value.is_nan());
            assert!(e.to_string().contains("`w`[1] = NaN is not finite"), "{e}");
            assert_eq!(w.value().to_vec(), [T::from_f64(0.0); 4]);
            ps.load_safetensors_bytes_with(
                &bytes,
                LoadOptions {
                    allow_non_finite: true,
                },
            )
            .unwrap();
            let got: Vec<f64> = w.value().as_slice().iter().map(|x| x.to_f64()).collect();
            assert_eq!((got[0], got[2], got[3]), (1.0, f64::INFINITY, 2.0));
            assert!(got[1].is_nan());
        }
    }

    #[test]
    fn non_finite_weights_are_refused_unless_allowed_f32() {
        non_finite_weights_need_the_option::<f32>();
    }

    #[test]
    fn non_finite_weights_are_refused_unless_allowed_f64() {
        non_finite_weights_need_the_option::<f64>();
    }

    #[test]
    fn repeated_tensor_name_in_the_header_is_refused() {
        // both entries cover the same 8 bytes, so the offsets are valid either way
        let header = br#"{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"\u0077":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#;
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header);
        bytes.extend_from_slice(&f64_bytes(&[3.0]));
        assert!(safetensors::SafeTensors::deserialize(&bytes).is_ok());
        let w = Param::new(Tensor::<f64>::zeros(&[1]));
        let e = Params::new()
            .with("w", &w)
            .load_safetensors_bytes(&bytes)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("tensor names given more than once in the header: [\"w\"]"),
            "{e}"
        );
        assert_eq!(w.value().item(), 0.0);
    }

    #[test]
    fn header_scan_finds_keys_only_at_the_top_level() {
        let json = r#"{"__metadata__":{"a":"x","a":"y"},"b":{"dtype":"F32","shape":[1,2]},"c,\"d":[{"b":1}],"b":{}}"#;
        assert_eq!(repeated_keys(json), ["b"]);
        assert!(repeated_keys(r#"{"x":"b","b":1,"\ud83d\ude00":2,"😀 ":3}"#).is_empty());
        assert_eq!(repeated_keys(r#"{"\ud83d\ude00":1,"😀":2}"#), ["😀"]);
    }

    #[test]
    fn metadata_key_is_refused_as_a_parameter_name_at_save() {
        let ps = Params::new().with("__metadata__", &Param::new(Tensor::<f32>::zeros(&[1])));
        let e = ps.to_safetensors().unwrap_err();
        assert!(matches!(&e.problem, WeightsProblem::ReservedName(n) if n == "__metadata__"));
        assert!(e.to_string().starts_with(
            "cannot save a parameter named `__metadata__`: safetensors reserves that name"
        ));
    }

    #[test]
    fn weights_error_points_at_the_caller() {
        let ps = Params::new().with("w", &Param::new(Tensor::<f64>::zeros(&[2])));
        let (e, line) = (ps.load_safetensors_bytes(b"").unwrap_err(), line!());
        assert_eq!((e.location.file(), e.location.line()), (file!(), line));
        assert!(e.to_string().ends_with(&format!(
            "(at {}:{line}:{})",
            file!(),
            e.location.column()
        )));
    }
}
