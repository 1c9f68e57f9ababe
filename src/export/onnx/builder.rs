//! Building an ONNX graph: fresh value names, nodes with attributes, constants as
//! initializers, ferrax dtypes as ONNX element types, and batch-generic shape tensors.

use super::proto as pb;
use crate::export::{unsupported, Dim, ExportError};
use crate::{DType, Tensor};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The ONNX element type of a dtype (`TensorProto.DataType`).
pub(crate) fn elem_type(dtype: DType) -> Result<i32, ExportError> {
    use pb::tensor_proto::DataType as T;
    Ok(match dtype {
        DType::Bool => T::Bool,
        DType::I8 => T::Int8,
        DType::I16 => T::Int16,
        DType::I32 => T::Int32,
        DType::I64 => T::Int64,
        DType::U8 => T::Uint8,
        DType::U16 => T::Uint16,
        DType::U32 => T::Uint32,
        DType::U64 => T::Uint64,
        DType::BF16 => T::Bfloat16,
        DType::F16 => T::Float16,
        DType::F32 => T::Float,
        DType::F64 => T::Double,
        DType::C64 | DType::C128 => {
            return Err(unsupported(
                "complex",
                format!("{dtype:?} values have no ONNX operators"),
            ))
        }
    } as i32)
}

/// A tensor's values as ONNX's little-endian `raw_data`.
fn raw_bytes(t: &Tensor) -> Result<Vec<u8>, ExportError> {
    match crate::export::le_bytes(t) {
        Some(b) => Ok(b),
        None => {
            elem_type(t.dtype())?;
            unreachable!()
        }
    }
}

/// A value's type for graph inputs and outputs: element type and dims, batch-derived dims
/// named (`batch`, or `batch_a_c` for `a * batch + c`).
pub(crate) fn value_info(
    name: &str,
    dtype: DType,
    dims: &[Dim],
) -> Result<pb::ValueInfoProto, ExportError> {
    value_info_with(name, dtype, dims, true)
}

/// [`value_info`]; with `named` false, batch-derived dims are left unknown (for subgraphs,
/// whose runtimes unify their dims with the outer graph's on their own).
pub(crate) fn value_info_with(
    name: &str,
    dtype: DType,
    dims: &[Dim],
    named: bool,
) -> Result<pb::ValueInfoProto, ExportError> {
    use pb::tensor_shape_proto::dimension::Value;
    let dim = dims
        .iter()
        .map(|d| pb::tensor_shape_proto::Dimension {
            value: Some(match *d {
                Dim::Fixed(n) => Value::DimValue(n as i64),
                Dim::Batch { .. } if !named => return Default::default(),
                Dim::Batch {
                    scale: 1,
                    offset: 0,
                } => Value::DimParam("batch".into()),
                Dim::Batch { scale, offset } => Value::DimParam(format!("batch_{scale}_{offset}")),
            }),
            ..Default::default()
        })
        .collect();
    Ok(pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: elem_type(dtype)?,
                shape: Some(pb::TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// An integer attribute.
pub(crate) fn attr_i(name: &str, v: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Int as i32,
        i: v,
        ..Default::default()
    }
}

/// An attribute holding a list of integers.
pub(crate) fn attr_ints(name: &str, v: impl IntoIterator<Item = i64>) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Ints as i32,
        ints: v.into_iter().collect(),
        ..Default::default()
    }
}

/// A string attribute.
pub(crate) fn attr_s(name: &str, v: &str) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::String as i32,
        s: v.as_bytes().to_vec(),
        ..Default::default()
    }
}

/// A subgraph attribute (the branches of `If`, the body of `Loop` and `Scan`).
pub(crate) fn attr_g(name: &str, g: pb::GraphProto) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Graph as i32,
        g: Some(g),
        ..Default::default()
    }
}

/// The nodes of one graph being built (the main graph or a subgraph), with what all graphs
/// of a model share: the name counter, the initializers (outer-scope values are visible in
/// subgraphs, so every constant lives in the main graph) and the batch-size value.
pub(crate) struct Emitter {
    pub nodes: Vec<pb::NodeProto>,
    next: Rc<Cell<u64>>,
    inits: Rc<RefCell<Vec<pb::TensorProto>>>,
    /// The batch size as an int64 tensor of shape `[1]`, when the batch is symbolic.
    pub batch: Option<String>,
    /// True for a subgraph, whose constants are Constant nodes of its own (tract reads
    /// outer-scope values in a body as inputs, not constants).
    is_sub: bool,
}

impl Emitter {
    /// The emitter of a model's main graph.
    pub fn new() -> Emitter {
        Emitter {
            nodes: Vec::new(),
            next: Rc::new(Cell::new(0)),
            inits: Rc::new(RefCell::new(Vec::new())),
            batch: None,
            is_sub: false,
        }
    }

    /// An emitter for a subgraph: new nodes, the same names, constants and batch.
    pub fn sub(&self) -> Emitter {
        Emitter {
            nodes: Vec::new(),
            next: self.next.clone(),
            inits: self.inits.clone(),
            batch: self.batch.clone(),
            is_sub: true,
        }
    }

    /// The initializers made so far (the main graph's, at the end).
    pub fn take_initializers(&self) -> Vec<pb::TensorProto> {
        std::mem::take(&mut self.inits.borrow_mut())
    }

    /// A name no other value of the model has.
    pub fn fresh(&self, hint: &str) -> String {
        let n = self.next.get();
        self.next.set(n + 1);
        format!("{hint}_{n}")
    }

    /// Emits `op_type(inputs)` with `n_out` outputs and returns their names.
    pub fn node_n(
        &mut self,
        op_type: &str,
        inputs: &[&str],
        attrs: Vec<pb::AttributeProto>,
        n_out: usize,
    ) -> Vec<String> {
        let outputs: Vec<String> = (0..n_out).map(|_| self.fresh(op_type)).collect();
        self.node_named(op_type, inputs, attrs, outputs.clone());
        outputs
    }

    /// Emits `op_type(inputs)` writing the given output names.
    pub fn node_named(
        &mut self,
        op_type: &str,
        inputs: &[&str],
        attrs: Vec<pb::AttributeProto>,
        outputs: Vec<String>,
    ) {
        let name = self.fresh(&format!("n_{op_type}"));
        self.nodes.push(pb::NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs,
            name,
            op_type: op_type.into(),
            attribute: attrs,
            ..Default::default()
        });
    }

    /// Emits a one-output node and returns its output's name.
    pub fn node(
        &mut self,
        op_type: &str,
        inputs: &[&str],
        attrs: Vec<pb::AttributeProto>,
    ) -> String {
        self.node_n(op_type, inputs, attrs, 1).remove(0)
    }

    /// `t` as an initializer; returns its name.
    pub fn constant(&mut self, t: &Tensor) -> Result<String, ExportError> {
        let name = self.fresh("const");
        let tensor = pb::TensorProto {
            dims: t.shape().iter().map(|&d| d as i64).collect(),
            data_type: elem_type(t.dtype())?,
            raw_data: raw_bytes(t)?,
            name: name.clone(),
            ..Default::default()
        };
        if self.is_sub {
            let value = pb::AttributeProto {
                name: "value".into(),
                r#type: pb::attribute_proto::AttributeType::Tensor as i32,
                t: Some(tensor),
                ..Default::default()
            };
            self.node_named("Constant", &[], vec![value], vec![name.clone()]);
        } else {
            self.inits.borrow_mut().push(tensor);
        }
        Ok(name)
    }

    /// A 1-d int64 constant (axes, shapes, starts, ...).
    pub fn ints(&mut self, v: &[i64]) -> String {
        self.constant(&Tensor::from_vec(v.to_vec(), &[v.len()]))
            .expect("int64 constants are always exportable")
    }

    /// A rank-0 constant of `dtype` with value `v`.
    pub fn scalar(&mut self, v: f64, dtype: DType) -> Result<String, ExportError> {
        self.constant(&Tensor::from_f64_values(&[v], &[], dtype))
    }

    /// A 1-d int64 tensor holding `dims` (a shape operand), written with the graph's batch
    /// size where a dim derives from it.
    pub fn shape_tensor(&mut self, dims: &[Dim]) -> String {
        if dims.iter().all(|d| matches!(d, Dim::Fixed(_))) {
            let v: Vec<i64> = dims
                .iter()
                .map(|d| match d {
                    Dim::Fixed(n) => *n as i64,
                    Dim::Batch { .. } => unreachable!(),
                })
                .collect();
            return self.ints(&v);
        }
        let mut parts: Vec<String> = Vec::new();
        let mut fixed: Vec<i64> = Vec::new();
        for d in dims {
            match *d {
                Dim::Fixed(n) => fixed.push(n as i64),
                Dim::Batch { scale, offset } => {
                    if !fixed.is_empty() {
                        parts.push(self.ints(&std::mem::take(&mut fixed)));
                    }
                    let b = self
                        .batch
                        .clone()
                        .expect("a symbolic dim needs the batch value");
                    let mut d = b;
                    if scale != 1 {
                        let s = self.ints(&[scale]);
                        d = self.node("Mul", &[&d, &s], vec![]);
                    }
                    if offset != 0 {
                        let c = self.ints(&[offset]);
                        d = self.node("Add", &[&d, &c], vec![]);
                    }
                    parts.push(d);
                }
            }
        }
        if !fixed.is_empty() {
            parts.push(self.ints(&fixed));
        }
        let refs: Vec<&str> = parts.iter().map(|s| s.as_str()).collect();
        self.node("Concat", &refs, vec![attr_i("axis", 0)])
    }
}
