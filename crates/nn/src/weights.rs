//! Saving and loading [`Params`] in the safetensors format (the `safetensors` crate), the
//! format PyTorch and the Hugging Face tools read and write: names and shapes are checked
//! on load, and nothing is changed unless everything matches.

use crate::Params;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use tapegrad_core::{Float, Tensor};

/// Why weights could not be saved or loaded.
#[derive(Debug)]
pub enum WeightsError {
    /// Reading or writing the file failed.
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The bytes are not a valid safetensors file.
    Format(String),
    /// The file's tensor names differ from the parameters' names.
    Names {
        /// Parameters with no tensor in the file.
        missing: Vec<String>,
        /// Tensors in the file with no parameter.
        unexpected: Vec<String>,
    },
    /// A tensor's shape differs from its parameter's.
    Shape {
        /// The parameter's name.
        name: String,
        /// The parameter's shape.
        expected: Vec<usize>,
        /// The file's shape.
        found: Vec<usize>,
    },
    /// A tensor's element type is not F32 or F64.
    Dtype {
        /// The parameter's name.
        name: String,
        /// The file's element type.
        dtype: String,
    },
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeightsError::Io { path, source } => write!(f, "{path}: {source}"),
            WeightsError::Format(m) => write!(f, "not a valid safetensors file: {m}"),
            WeightsError::Names {
                missing,
                unexpected,
            } => write!(
                f,
                "parameter names do not match the file: missing {missing:?}, unexpected {unexpected:?}"
            ),
            WeightsError::Shape {
                name,
                expected,
                found,
            } => write!(
                f,
                "`{name}`: the parameter has shape {expected:?}, the file has {found:?}"
            ),
            WeightsError::Dtype { name, dtype } => write!(
                f,
                "`{name}`: element type {dtype} is not supported (F32 or F64)"
            ),
        }
    }
}

impl std::error::Error for WeightsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WeightsError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl<T: Float> Params<T> {
    /// The parameters as a safetensors buffer: one tensor per name, in `T`'s element type
    /// (F32 or F64), with `{"format": "pt"}` metadata as PyTorch writes it.
    pub fn to_safetensors(&self) -> Result<Vec<u8>, WeightsError> {
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
                    .map_err(|e| WeightsError::Format(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
        safetensors::serialize(views, Some(meta)).map_err(|e| WeightsError::Format(e.to_string()))
    }

    /// Writes [`to_safetensors`](Self::to_safetensors) to `path`.
    pub fn save_safetensors(&self, path: impl AsRef<Path>) -> Result<(), WeightsError> {
        let path = path.as_ref();
        let bytes = self.to_safetensors()?;
        std::fs::write(path, bytes).map_err(|source| WeightsError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Loads every parameter from a safetensors buffer. The file must hold exactly the
    /// parameters' names with the same shapes; F32 and F64 tensors are converted to `T`.
    /// On any error no parameter is changed.
    pub fn load_safetensors_bytes(&self, bytes: &[u8]) -> Result<(), WeightsError> {
        let file =
            SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
        let mut in_file: Vec<String> = file.names().into_iter().map(String::from).collect();
        in_file.sort();
        let missing: Vec<String> = self
            .names()
            .filter(|n| in_file.binary_search_by(|f| f.as_str().cmp(n)).is_err())
            .map(String::from)
            .collect();
        let unexpected: Vec<String> = in_file
            .iter()
            .filter(|n| self.get(n).is_none())
            .cloned()
            .collect();
        if !missing.is_empty() || !unexpected.is_empty() {
            return Err(WeightsError::Names {
                missing,
                unexpected,
            });
        }
        let mut values = Vec::with_capacity(self.len());
        for (name, p) in self.iter() {
            let view = file
                .tensor(name)
                .map_err(|e| WeightsError::Format(e.to_string()))?;
            if view.shape() != p.shape().as_slice() {
                return Err(WeightsError::Shape {
                    name: name.to_string(),
                    expected: p.shape(),
                    found: view.shape().to_vec(),
                });
            }
            let data: Vec<T> = match view.dtype() {
                Dtype::F32 => view
                    .data()
                    .chunks_exact(4)
                    .map(|b| T::from_f64(f32::from_le_bytes(b.try_into().unwrap()) as f64))
                    .collect(),
                Dtype::F64 => view
                    .data()
                    .chunks_exact(8)
                    .map(|b| T::from_f64(f64::from_le_bytes(b.try_into().unwrap())))
                    .collect(),
                other => {
                    return Err(WeightsError::Dtype {
                        name: name.to_string(),
                        dtype: format!("{other:?}"),
                    })
                }
            };
            values.push(Tensor::from_vec(data, view.shape()));
        }
        for (p, v) in self.params().zip(values) {
            p.set(v);
        }
        Ok(())
    }

    /// Reads `path` and loads it with [`load_safetensors_bytes`](Self::load_safetensors_bytes).
    pub fn load_safetensors(&self, path: impl AsRef<Path>) -> Result<(), WeightsError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| WeightsError::Io {
            path: path.display().to_string(),
            source,
        })?;
        self.load_safetensors_bytes(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Param, Params};
    use tapegrad_core::Tensor;

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

    #[test]
    fn load_rejects_wrong_names_and_shapes_and_changes_nothing() {
        let bytes = model(1).to_safetensors().unwrap();
        let other = Params::new()
            .with("0.weight", &Param::new(Tensor::<f64>::zeros(&[3, 2])))
            .with("extra", &Param::new(Tensor::<f64>::zeros(&[1])));
        let e = other.load_safetensors_bytes(&bytes).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"parameter names do not match the file: missing ["extra"], unexpected ["0.bias", "out.scale"]"#
        );
        let target = model(5);
        let wrong = Params::new()
            .with("0.weight", &Param::new(Tensor::<f64>::zeros(&[2, 3])))
            .with("0.bias", &Param::new(Tensor::<f64>::zeros(&[3])))
            .with("out.scale", &Param::new(Tensor::<f64>::scalar(0.0)));
        let e = target
            .load_safetensors_bytes(&wrong.to_safetensors().unwrap())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "`0.weight`: the parameter has shape [3, 2], the file has [2, 3]"
        );
        assert_eq!(
            target.get("0.bias").unwrap().value(),
            model(5).get("0.bias").unwrap().value()
        );
        let e = target.load_safetensors_bytes(b"not a file").unwrap_err();
        assert!(
            e.to_string().starts_with("not a valid safetensors file"),
            "{e}"
        );
    }
}
