/**
 * A small builder for ONNX graphs over onnx-proto (the ONNX schema compiled
 * for protobufjs): nodes, attributes and initializers by name, encoded to
 * the ModelProto bytes that onnxruntime loads.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const OPSET = 13;
/** IR version 7 goes with opset 13 (ONNX 1.8). */
const IR_VERSION = 7;

/** An int, ints, a string, or a float (marked, so 1.0 stays a float). */
export type AttributeValue = number | number[] | string | { float: number };

export class OnnxGraph {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();

  /** A name not used yet, from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  input(name: string, shape: number[]): void {
    this.used.add(name);
    this.inputs.push(valueInfo(name, shape));
  }

  output(name: string, shape: number[]): void {
    this.outputs.push(valueInfo(name, shape));
  }

  /** A float32 initializer. */
  floats(base: string, data: Float32Array, dims: number[]): string {
    const name = this.fresh(base);
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
    return name;
  }

  /** An int64 initializer (shapes, slice bounds). */
  int64s(base: string, data: number[]): string {
    const name = this.fresh(base);
    const raw = new Uint8Array(BigInt64Array.from(data.map((v) => BigInt(v))).buffer);
    this.initializers.push({ name, dims: [data.length], dataType: onnx.TensorProto.DataType.INT64, rawData: raw });
    return name;
  }

  /** Adds a node; returns its output names (`outputs` of them, named from `base`). */
  node(op: string, inputs: string[], base: string, attrs: Record<string, AttributeValue> = {}, outputs = 1): string[] {
    const names = Array.from({ length: outputs }, (_, i) => this.fresh(i === 0 ? base : `${base}_out${i}`));
    const attribute = Object.entries(attrs).map(([name, v]) => attribute_(name, v));
    this.nodes.push({ opType: op, input: inputs, output: names, name: this.fresh(`${base}_node`), attribute });
    return names;
  }

  encode(graphName: string, producerVersion: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'seg',
      producerVersion,
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, shape: number[]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function attribute_(name: string, v: AttributeValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  return { name, type: T.FLOAT, f: v.float };
}
