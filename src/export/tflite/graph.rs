//! The TFLite subgraph being built: tensors (with their batch-aware dims), constant buffers
//! and operators, before [`super::schema::serialize`] writes them.

use super::schema::{op, tensor_type};
use crate::export::{unsupported, Dim, ExportError};
use crate::{DType, Tensor};

/// One tensor of the subgraph.
pub(crate) struct TensorDef {
    pub name: String,
    /// `TensorType`.
    pub ty: i8,
    pub dtype: DType,
    /// `Tensor.shape`: the dims at the example's batch size.
    pub shape: Vec<i32>,
    /// `Tensor.shape_signature`: `-1` on batch-derived dims.
    pub signature: Vec<i32>,
    /// The dims as the lowering sees them.
    pub dims: Vec<Dim>,
    /// Index into the model's buffers (0: none).
    pub buffer: u32,
}

/// The builtin options of an operator (those whose defaults do not do).
#[derive(Clone, Debug)]
pub(crate) enum Opt {
    Conv2D {
        padding: i8,
        /// (h, w)
        stride: [i32; 2],
        dilation: [i32; 2],
    },
    Depthwise {
        padding: i8,
        stride: [i32; 2],
        dilation: [i32; 2],
        multiplier: i32,
    },
    Pool2D {
        padding: i8,
        stride: [i32; 2],
        filter: [i32; 2],
    },
    FullyConnected {
        keep_num_dims: bool,
    },
    Concatenation {
        axis: i32,
    },
    Gather {
        axis: i32,
    },
    Reducer,
    StridedSlice {
        begin_mask: i32,
        end_mask: i32,
    },
    Cast {
        from: i8,
        to: i8,
    },
    ArgMax {
        output_type: i8,
    },
    ArgMin {
        output_type: i8,
    },
    BatchMatMul,
    Cumsum {
        reverse: bool,
    },
}

/// One operator.
pub(crate) struct OpDef {
    pub code: i32,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    pub options: Option<Opt>,
}

/// The subgraph under construction.
pub(crate) struct Graph {
    pub tensors: Vec<TensorDef>,
    /// Constant data; buffer `i + 1` of the model (0 is the empty sentinel).
    pub buffers: Vec<Vec<u8>>,
    pub ops: Vec<OpDef>,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    /// The example's batch size (the `shape` written for batch-derived dims).
    pub example_batch: usize,
    /// The batch size as an int32 `[1]` tensor, once computed (dynamic batch only).
    batch: Option<i32>,
}

/// The TFLite type of `dtype`, or `Unsupported` naming it.
pub(crate) fn ty(dtype: DType) -> Result<i8, ExportError> {
    tensor_type(dtype).ok_or_else(|| {
        unsupported(
            "complex",
            format!("{dtype:?} values have no TFLite tensor type"),
        )
    })
}

impl Graph {
    pub fn new(example_batch: usize) -> Graph {
        Graph {
            tensors: Vec::new(),
            buffers: Vec::new(),
            ops: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            example_batch,
            batch: None,
        }
    }

    /// A new tensor of `dtype` and `dims` (no data).
    pub fn tensor(
        &mut self,
        name: Option<String>,
        dtype: DType,
        dims: &[Dim],
    ) -> Result<i32, ExportError> {
        let i = self.tensors.len();
        let b = self.example_batch as i64;
        let shape = dims
            .iter()
            .map(|d| match *d {
                Dim::Fixed(n) => n as i32,
                Dim::Batch { scale, offset } => (scale * b + offset).max(0) as i32,
            })
            .collect();
        let signature = dims
            .iter()
            .map(|d| match *d {
                Dim::Fixed(n) => n as i32,
                Dim::Batch { .. } => -1,
            })
            .collect();
        self.tensors.push(TensorDef {
            name: name.unwrap_or_else(|| format!("t{i}")),
            ty: ty(dtype)?,
            dtype,
            shape,
            signature,
            dims: dims.to_vec(),
            buffer: 0,
        });
        Ok(i as i32)
    }

    /// The dims of tensor `t`.
    pub fn dims(&self, t: i32) -> Vec<Dim> {
        self.tensors[t as usize].dims.clone()
    }

    /// The dtype of tensor `t`.
    pub fn dtype(&self, t: i32) -> DType {
        self.tensors[t as usize].dtype
    }

    /// Whether tensor `t` holds constant data.
    pub fn is_const(&self, t: i32) -> bool {
        self.tensors[t as usize].buffer != 0
    }

    /// A constant tensor holding `t`'s values.
    pub fn constant(&mut self, t: &Tensor) -> Result<i32, ExportError> {
        let dims: Vec<Dim> = t.shape().iter().map(|&n| Dim::Fixed(n)).collect();
        let i = self.tensor(None, t.dtype(), &dims)?;
        let bytes = crate::export::le_bytes(t)
            .ok_or_else(|| unsupported("complex", "complex constants have no TFLite type"))?;
        self.buffers.push(bytes);
        self.tensors[i as usize].buffer = self.buffers.len() as u32;
        Ok(i)
    }

    /// A 1-d int32 constant (shapes, axes, permutations, ...).
    pub fn ints(&mut self, v: &[i64]) -> i32 {
        let v: Vec<i32> = v.iter().map(|&x| x as i32).collect();
        self.constant(&Tensor::from_vec(v.clone(), &[v.len()]))
            .expect("int32 constants are always exportable")
    }

    /// A rank-0 constant of `dtype` with value `v`.
    pub fn scalar(&mut self, v: f64, dtype: DType) -> Result<i32, ExportError> {
        self.constant(&Tensor::from_f64_values(&[v], &[], dtype))
    }

    /// Appends operator `code` on `inputs` with one output of `dtype` and `dims`.
    pub fn op(
        &mut self,
        code: i32,
        inputs: &[i32],
        dtype: DType,
        dims: &[Dim],
        options: Option<Opt>,
    ) -> Result<i32, ExportError> {
        let out = self.tensor(None, dtype, dims)?;
        self.ops.push(OpDef {
            code,
            inputs: inputs.to_vec(),
            outputs: vec![out],
            options,
        });
        Ok(out)
    }

    /// The batch size as an int32 `[1]` tensor: `SHAPE(input_0)[0:1]`.
    fn batch(&mut self) -> Result<i32, ExportError> {
        if let Some(b) = self.batch {
            return Ok(b);
        }
        let x = self.inputs[0];
        let r = self.tensors[x as usize].dims.len();
        let shape = self.op(op::SHAPE, &[x], DType::I32, &[Dim::Fixed(r)], None)?;
        let (begin, end, strides) = (self.ints(&[0]), self.ints(&[1]), self.ints(&[1]));
        let b = self.op(
            op::STRIDED_SLICE,
            &[shape, begin, end, strides],
            DType::I32,
            &[Dim::Fixed(1)],
            Some(Opt::StridedSlice {
                begin_mask: 0,
                end_mask: 0,
            }),
        )?;
        self.batch = Some(b);
        Ok(b)
    }

    /// `scale * batch + offset` as an int32 `[1]` tensor.
    pub fn batch_affine(&mut self, scale: i64, offset: i64) -> Result<i32, ExportError> {
        let mut b = self.batch()?;
        let one = [Dim::Fixed(1)];
        if scale != 1 {
            let s = self.ints(&[scale]);
            b = self.op(op::MUL, &[b, s], DType::I32, &one, None)?;
        }
        if offset != 0 {
            let o = self.ints(&[offset]);
            b = self.op(op::ADD, &[b, o], DType::I32, &one, None)?;
        }
        Ok(b)
    }

    /// A shape as an int32 tensor: a constant when every dim is fixed, else built from the
    /// batch size at run time.
    pub fn shape_tensor(&mut self, dims: &[Dim]) -> Result<i32, ExportError> {
        let fixed: Option<Vec<i64>> = dims
            .iter()
            .map(|d| match d {
                Dim::Fixed(n) => Some(*n as i64),
                Dim::Batch { .. } => None,
            })
            .collect();
        if let Some(v) = fixed {
            return Ok(self.ints(&v));
        }
        let mut pieces = Vec::new();
        let mut run = Vec::new();
        for d in dims {
            match *d {
                Dim::Fixed(n) => run.push(n as i64),
                Dim::Batch { scale, offset } => {
                    if !run.is_empty() {
                        pieces.push(self.ints(&run));
                        run.clear();
                    }
                    pieces.push(self.batch_affine(scale, offset)?);
                }
            }
        }
        if !run.is_empty() {
            pieces.push(self.ints(&run));
        }
        if pieces.len() == 1 {
            return Ok(pieces[0]);
        }
        self.op(
            op::CONCATENATION,
            &pieces,
            DType::I32,
            &[Dim::Fixed(dims.len())],
            Some(Opt::Concatenation { axis: 0 }),
        )
    }
}

impl Graph {
    /// Drops the tensors no operator or subgraph input/output refers to (constants replaced
    /// at export, such as weights before their transpose) with their buffers, renumbering
    /// the rest.
    pub fn prune(&mut self) {
        let mut used = vec![false; self.tensors.len()];
        let refs = self
            .ops
            .iter()
            .flat_map(|o| o.inputs.iter().chain(&o.outputs))
            .chain(&self.inputs)
            .chain(&self.outputs);
        for &t in refs {
            if t >= 0 {
                used[t as usize] = true;
            }
        }
        let mut remap = vec![-1i32; self.tensors.len()];
        let mut tensors = Vec::new();
        let mut buffers = Vec::new();
        let old_buffers = std::mem::take(&mut self.buffers);
        let mut old_buffers: Vec<Option<Vec<u8>>> = old_buffers.into_iter().map(Some).collect();
        for (i, mut t) in std::mem::take(&mut self.tensors).into_iter().enumerate() {
            if !used[i] {
                continue;
            }
            if t.buffer != 0 {
                buffers.push(
                    old_buffers[t.buffer as usize - 1]
                        .take()
                        .unwrap_or_default(),
                );
                t.buffer = buffers.len() as u32;
            }
            remap[i] = tensors.len() as i32;
            tensors.push(t);
        }
        let map = |v: &mut Vec<i32>| {
            for t in v.iter_mut() {
                if *t >= 0 {
                    *t = remap[*t as usize];
                }
            }
        };
        for o in &mut self.ops {
            map(&mut o.inputs);
            map(&mut o.outputs);
        }
        map(&mut self.inputs);
        map(&mut self.outputs);
        self.tensors = tensors;
        self.buffers = buffers;
    }
}
