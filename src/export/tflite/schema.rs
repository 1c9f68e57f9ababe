//! The TFLite flatbuffer tables the exporter writes, with the `flatbuffers` crate's builder
//! directly (no `flatc`, no generated code). Field slots and enum values are those of
//! TensorFlow's `tensorflow/compiler/mlir/lite/schema/schema.fbs` (schema version 3): a field
//! with id `n` (its position in the table, a union counting as two: type then value) lives
//! at vtable offset `4 + 2 * n`, which [`slot`] computes.

use super::graph::{Graph, Opt};
use flatbuffers::{FlatBufferBuilder, WIPOffset};

/// The schema version of the files written (`Model.version`).
pub const SCHEMA_VERSION: u32 = 3;

/// The vtable offset of the field with id `id`.
const fn slot(id: u16) -> u16 {
    4 + 2 * id
}

/// `BuiltinOperator` codes (schema.fbs `enum BuiltinOperator`).
#[allow(missing_docs)]
pub mod op {
    pub const ADD: i32 = 0;
    pub const AVERAGE_POOL_2D: i32 = 1;
    pub const CONCATENATION: i32 = 2;
    pub const CONV_2D: i32 = 3;
    pub const DEPTHWISE_CONV_2D: i32 = 4;
    pub const FLOOR: i32 = 8;
    pub const FULLY_CONNECTED: i32 = 9;
    pub const LOGISTIC: i32 = 14;
    pub const MAX_POOL_2D: i32 = 17;
    pub const MUL: i32 = 18;
    pub const RESHAPE: i32 = 22;
    pub const TANH: i32 = 28;
    pub const PAD: i32 = 34;
    pub const GATHER: i32 = 36;
    pub const TRANSPOSE: i32 = 39;
    pub const SUB: i32 = 41;
    pub const DIV: i32 = 42;
    pub const STRIDED_SLICE: i32 = 45;
    pub const EXP: i32 = 47;
    pub const CAST: i32 = 53;
    pub const MAXIMUM: i32 = 55;
    pub const ARG_MAX: i32 = 56;
    pub const MINIMUM: i32 = 57;
    pub const LESS: i32 = 58;
    pub const PADV2: i32 = 60;
    pub const GREATER: i32 = 61;
    pub const GREATER_EQUAL: i32 = 62;
    pub const LESS_EQUAL: i32 = 63;
    pub const SIN: i32 = 66;
    pub const EQUAL: i32 = 71;
    pub const NOT_EQUAL: i32 = 72;
    pub const LOG: i32 = 73;
    pub const SUM: i32 = 74;
    pub const SQRT: i32 = 75;
    pub const RSQRT: i32 = 76;
    pub const SHAPE: i32 = 77;
    pub const POW: i32 = 78;
    pub const ARG_MIN: i32 = 79;
    pub const REDUCE_PROD: i32 = 81;
    pub const REDUCE_MAX: i32 = 82;
    pub const LOGICAL_OR: i32 = 84;
    pub const LOGICAL_AND: i32 = 86;
    pub const LOGICAL_NOT: i32 = 87;
    pub const REDUCE_MIN: i32 = 89;
    pub const ABS: i32 = 101;
    pub const CEIL: i32 = 104;
    pub const COS: i32 = 108;
    pub const REVERSE_V2: i32 = 105;
    pub const ROUND: i32 = 116;
    pub const SELECT_V2: i32 = 123;
    pub const BATCH_MATMUL: i32 = 126;
    pub const CUMSUM: i32 = 128;
    pub const BROADCAST_TO: i32 = 130;
    pub const SIGN: i32 = 158;
    pub const ATAN2: i32 = 156;
}

/// `TensorType` values (schema.fbs `enum TensorType`).
pub fn tensor_type(dtype: crate::DType) -> Option<i8> {
    use crate::DType::*;
    Some(match dtype {
        F32 => 0,
        F16 => 1,
        I32 => 2,
        U8 => 3,
        I64 => 4,
        Bool => 6,
        I16 => 7,
        I8 => 9,
        F64 => 10,
        U64 => 12,
        U32 => 15,
        U16 => 16,
        BF16 => 18,
        C64 | C128 => return None,
    })
}

/// `Padding` (schema.fbs `enum Padding : byte { SAME, VALID }`).
pub const PADDING_SAME: i8 = 0;
/// See [`PADDING_SAME`].
pub const PADDING_VALID: i8 = 1;

/// A byte that starts a vector on a 16-byte boundary ([`FlatBufferBuilder::start_vector`]
/// aligns the vector's data to its element type's alignment): `Buffer.data`'s
/// `force_align: 16`.
struct Aligned16;

impl flatbuffers::Push for Aligned16 {
    type Output = u8;
    unsafe fn push(&self, _dst: &mut [u8], _written_len: usize) {}
    fn alignment() -> flatbuffers::PushAlignment {
        flatbuffers::PushAlignment::new(16)
    }
}

/// Writes the `BuiltinOptions` table of `opt`; returns its union type (the table's position
/// in schema.fbs's `union BuiltinOptions`, counting from 1) and offset.
fn options<'a>(
    b: &mut FlatBufferBuilder<'a>,
    opt: &Opt,
) -> (u8, WIPOffset<flatbuffers::UnionWIPOffset>) {
    let t = b.start_table();
    let ty = match *opt {
        // Conv2DOptions: padding 0, stride_w 1, stride_h 2, fused_activation_function 3,
        // dilation_w_factor 4, dilation_h_factor 5.
        Opt::Conv2D {
            padding,
            stride,
            dilation,
        } => {
            b.push_slot_always::<i8>(slot(0), padding);
            b.push_slot_always::<i32>(slot(1), stride[1]);
            b.push_slot_always::<i32>(slot(2), stride[0]);
            b.push_slot_always::<i32>(slot(4), dilation[1]);
            b.push_slot_always::<i32>(slot(5), dilation[0]);
            1
        }
        // DepthwiseConv2DOptions: padding 0, stride_w 1, stride_h 2, depth_multiplier 3,
        // fused_activation_function 4, dilation_w_factor 5, dilation_h_factor 6.
        Opt::Depthwise {
            padding,
            stride,
            dilation,
            multiplier,
        } => {
            b.push_slot_always::<i8>(slot(0), padding);
            b.push_slot_always::<i32>(slot(1), stride[1]);
            b.push_slot_always::<i32>(slot(2), stride[0]);
            b.push_slot_always::<i32>(slot(3), multiplier);
            b.push_slot_always::<i32>(slot(5), dilation[1]);
            b.push_slot_always::<i32>(slot(6), dilation[0]);
            2
        }
        // Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_width 3, filter_height 4.
        Opt::Pool2D {
            padding,
            stride,
            filter,
        } => {
            b.push_slot_always::<i8>(slot(0), padding);
            b.push_slot_always::<i32>(slot(1), stride[1]);
            b.push_slot_always::<i32>(slot(2), stride[0]);
            b.push_slot_always::<i32>(slot(3), filter[1]);
            b.push_slot_always::<i32>(slot(4), filter[0]);
            5
        }
        // FullyConnectedOptions: fused_activation_function 0, weights_format 1,
        // keep_num_dims 2.
        Opt::FullyConnected { keep_num_dims } => {
            b.push_slot_always::<bool>(slot(2), keep_num_dims);
            8
        }
        // ConcatenationOptions: axis 0.
        Opt::Concatenation { axis } => {
            b.push_slot_always::<i32>(slot(0), axis);
            10
        }
        // GatherOptions: axis 0, batch_dims 1.
        Opt::Gather { axis } => {
            b.push_slot_always::<i32>(slot(0), axis);
            23
        }
        // ReducerOptions: keep_dims 0.
        Opt::Reducer => {
            b.push_slot_always::<bool>(slot(0), false);
            27
        }
        // StridedSliceOptions: begin_mask 0, end_mask 1, ellipsis_mask 2, new_axis_mask 3,
        // shrink_axis_mask 4.
        Opt::StridedSlice {
            begin_mask,
            end_mask,
        } => {
            b.push_slot_always::<i32>(slot(0), begin_mask);
            b.push_slot_always::<i32>(slot(1), end_mask);
            32
        }
        // CastOptions: in_data_type 0, out_data_type 1.
        Opt::Cast { from, to } => {
            b.push_slot_always::<i8>(slot(0), from);
            b.push_slot_always::<i8>(slot(1), to);
            37
        }
        // ArgMaxOptions / ArgMinOptions: output_type 0.
        Opt::ArgMax { output_type } => {
            b.push_slot_always::<i8>(slot(0), output_type);
            40
        }
        Opt::ArgMin { output_type } => {
            b.push_slot_always::<i8>(slot(0), output_type);
            57
        }
        // BatchMatMulOptions: adj_x 0, adj_y 1.
        Opt::BatchMatMul => {
            b.push_slot_always::<bool>(slot(0), false);
            b.push_slot_always::<bool>(slot(1), false);
            101
        }
        // CumsumOptions: exclusive 0, reverse 1.
        Opt::Cumsum { reverse } => {
            b.push_slot_always::<bool>(slot(0), false);
            b.push_slot_always::<bool>(slot(1), reverse);
            102
        }
    };
    let end = b.end_table(t);
    (ty, WIPOffset::new(end.value()))
}

/// A vector of `TensorMap`s naming tensors `idx` `{prefix}_{i}` (TensorMap: name 0,
/// tensor_index 1).
fn tensor_maps<'a>(
    b: &mut FlatBufferBuilder<'a>,
    idx: &[i32],
    prefix: &str,
) -> WIPOffset<
    flatbuffers::Vector<'a, flatbuffers::ForwardsUOffset<flatbuffers::TableFinishedWIPOffset>>,
> {
    let mut v = Vec::new();
    for (i, &ti) in idx.iter().enumerate() {
        let name = b.create_string(&format!("{prefix}_{i}"));
        let t = b.start_table();
        b.push_slot_always(slot(0), name);
        b.push_slot_always::<u32>(slot(1), ti as u32);
        v.push(b.end_table(t));
    }
    b.create_vector(&v)
}

/// For an operator written without [`Opt`]s, the `BuiltinOptions` union type of its
/// options table, written with every field at its default (some readers, tract's among
/// them, require the table); `None` for operators without one. SHAPE's `out_type` is set
/// to INT32 (its schema default is FLOAT32).
fn default_options(code: i32) -> Option<u8> {
    Some(match code {
        op::ADD => 11,
        op::MUL => 21,
        op::SUB => 28,
        op::DIV => 29,
        op::RESHAPE => 17,
        op::TRANSPOSE => 26,
        op::PAD => 22,
        op::PADV2 => 43,
        op::EXP => 33,
        op::MAXIMUM | op::MINIMUM => 39,
        op::LESS => 41,
        op::GREATER => 44,
        op::GREATER_EQUAL => 45,
        op::LESS_EQUAL => 46,
        op::EQUAL => 53,
        op::NOT_EQUAL => 54,
        op::SHAPE => 55,
        op::POW => 56,
        op::LOGICAL_OR => 60,
        op::LOGICAL_AND => 62,
        op::LOGICAL_NOT => 63,
        op::ABS => 78,
        op::REVERSE_V2 => 81,
        op::COS => 84,
        op::SELECT_V2 => 98,
        op::BROADCAST_TO => 104,
        _ => return None,
    })
}

/// The model file of `g`: one subgraph, buffer 0 the empty sentinel, a `serving_default`
/// SignatureDef mapping `input_i`/`output_i` to the subgraph's inputs and outputs.
pub fn serialize(g: &Graph, description: &str) -> Vec<u8> {
    let mut b =
        FlatBufferBuilder::with_capacity(1024 + g.buffers.iter().map(Vec::len).sum::<usize>());
    // Buffers (Buffer: data 0).
    let mut buffers = Vec::with_capacity(g.buffers.len() + 1);
    for data in std::iter::once(&Vec::new()).chain(&g.buffers) {
        let d = (!data.is_empty()).then(|| {
            // 16-byte alignment of the data (schema: force_align 16).
            b.start_vector::<Aligned16>(data.len());
            for &x in data.iter().rev() {
                b.push(x);
            }
            b.end_vector::<u8>(data.len())
        });
        let t = b.start_table();
        if let Some(d) = d {
            b.push_slot_always(slot(0), d);
        }
        buffers.push(b.end_table(t));
    }
    let buffers = b.create_vector(&buffers);
    // Operator codes (OperatorCode: deprecated_builtin_code 0 (byte), custom_code 1,
    // version 2, builtin_code 3).
    let mut codes: Vec<i32> = Vec::new();
    let mut code_index = |c: i32| match codes.iter().position(|&x| x == c) {
        Some(i) => i as u32,
        None => {
            codes.push(c);
            codes.len() as u32 - 1
        }
    };
    let op_code_idx: Vec<u32> = g.ops.iter().map(|o| code_index(o.code)).collect();
    let mut code_tables = Vec::with_capacity(codes.len());
    for &c in &codes {
        let t = b.start_table();
        b.push_slot_always::<i8>(slot(0), c.min(127) as i8);
        // LiteRT registers BROADCAST_TO from version 2 on; version 1 elsewhere.
        b.push_slot_always::<i32>(slot(2), if c == op::BROADCAST_TO { 2 } else { 1 });
        b.push_slot_always::<i32>(slot(3), c);
        code_tables.push(b.end_table(t));
    }
    let codes_vec = b.create_vector(&code_tables);
    // Tensors (Tensor: shape 0, type 1, buffer 2, name 3, quantization 4, is_variable 5,
    // sparsity 6, shape_signature 7, has_rank 8).
    let mut tensors = Vec::with_capacity(g.tensors.len());
    for t in &g.tensors {
        let shape = b.create_vector(&t.shape);
        let sig = (t.signature != t.shape).then(|| b.create_vector(&t.signature));
        let name = b.create_string(&t.name);
        let tt = b.start_table();
        b.push_slot_always(slot(0), shape);
        b.push_slot_always::<i8>(slot(1), t.ty);
        b.push_slot_always::<u32>(slot(2), t.buffer);
        b.push_slot_always(slot(3), name);
        if let Some(sig) = sig {
            b.push_slot_always(slot(7), sig);
        }
        b.push_slot_always::<bool>(slot(8), true);
        tensors.push(b.end_table(tt));
    }
    let tensors = b.create_vector(&tensors);
    // Operators (Operator: opcode_index 0, inputs 1, outputs 2, builtin_options_type 3,
    // builtin_options 4).
    let mut ops = Vec::with_capacity(g.ops.len());
    for (o, &ci) in g.ops.iter().zip(&op_code_idx) {
        let ins = b.create_vector(&o.inputs);
        let outs = b.create_vector(&o.outputs);
        let opts = match &o.options {
            Some(opt) => Some(options(&mut b, opt)),
            None => default_options(o.code).map(|ty| {
                let t = b.start_table();
                if o.code == op::SHAPE {
                    // ShapeOptions: out_type 0.
                    b.push_slot_always::<i8>(slot(0), 2);
                }
                let end = b.end_table(t);
                (ty, WIPOffset::new(end.value()))
            }),
        };
        let t = b.start_table();
        b.push_slot_always::<u32>(slot(0), ci);
        b.push_slot_always(slot(1), ins);
        b.push_slot_always(slot(2), outs);
        if let Some((ty, off)) = opts {
            b.push_slot_always::<u8>(slot(3), ty);
            b.push_slot_always(slot(4), off);
        }
        ops.push(b.end_table(t));
    }
    let ops = b.create_vector(&ops);
    // SubGraph: tensors 0, inputs 1, outputs 2, operators 3, name 4.
    let sg_in = b.create_vector(&g.inputs);
    let sg_out = b.create_vector(&g.outputs);
    let sg_name = b.create_string("main");
    let t = b.start_table();
    b.push_slot_always(slot(0), tensors);
    b.push_slot_always(slot(1), sg_in);
    b.push_slot_always(slot(2), sg_out);
    b.push_slot_always(slot(3), ops);
    b.push_slot_always(slot(4), sg_name);
    let subgraph = b.end_table(t);
    let subgraphs = b.create_vector(&[subgraph]);
    // SignatureDef: inputs 0, outputs 1, signature_key 2, subgraph_index 4.
    let sig_in = tensor_maps(&mut b, &g.inputs, "input");
    let sig_out = tensor_maps(&mut b, &g.outputs, "output");
    let key = b.create_string("serving_default");
    let t = b.start_table();
    b.push_slot_always(slot(0), sig_in);
    b.push_slot_always(slot(1), sig_out);
    b.push_slot_always(slot(2), key);
    b.push_slot_always::<u32>(slot(4), 0);
    let sig = b.end_table(t);
    let sigs = b.create_vector(&[sig]);
    // Model: version 0, operator_codes 1, subgraphs 2, description 3, buffers 4,
    // signature_defs 7.
    let desc = b.create_string(if description.is_empty() {
        "ferrax"
    } else {
        description
    });
    let t = b.start_table();
    b.push_slot_always::<u32>(slot(0), SCHEMA_VERSION);
    b.push_slot_always(slot(1), codes_vec);
    b.push_slot_always(slot(2), subgraphs);
    b.push_slot_always(slot(3), desc);
    b.push_slot_always(slot(4), buffers);
    b.push_slot_always(slot(7), sigs);
    let model = b.end_table(t);
    b.finish(model, Some("TFL3"));
    b.finished_data().to_vec()
}
