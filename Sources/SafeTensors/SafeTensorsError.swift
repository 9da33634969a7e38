/// Everything that can be wrong with a safetensors file or a sharded checkpoint, naming the file
/// and, where there is one, the tensor.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case truncated(path: String, reason: String)
    case invalidHeader(path: String, reason: String)
    case invalidEntry(path: String, tensor: String, reason: String)
    case unknownDType(path: String, tensor: String, dtype: String)
    case unsupportedDType(path: String, tensor: String, dtype: String)
    case offsetsOutOfBounds(path: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    case sizeMismatch(path: String, tensor: String, shape: [Int], dtype: String, bytes: Int)
    case invalidIndex(path: String, reason: String)
    case missingShard(index: String, shard: String, tensor: String)
    case noWeights(directory: String)
    case tensorNotFound(name: String, directory: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "\(path): cannot open: \(reason)"
        case .truncated(let path, let reason): return "\(path): file is truncated: \(reason)"
        case .invalidHeader(let path, let reason): return "\(path): invalid safetensors header: \(reason)"
        case .invalidEntry(let path, let tensor, let reason):
            return "\(path): tensor '\(tensor)': invalid header entry: \(reason)"
        case .unknownDType(let path, let tensor, let dtype):
            return "\(path): tensor '\(tensor)': unknown dtype '\(dtype)'"
        case .unsupportedDType(let path, let tensor, let dtype):
            return "\(path): tensor '\(tensor)': dtype \(dtype) is not supported for weights (F32, F16, BF16 are)"
        case .offsetsOutOfBounds(let path, let tensor, let begin, let end, let dataSize):
            return "\(path): tensor '\(tensor)': data_offsets [\(begin), \(end)] lie outside the \(dataSize)-byte data section (truncated or corrupt file)"
        case .sizeMismatch(let path, let tensor, let shape, let dtype, let bytes):
            return "\(path): tensor '\(tensor)': shape \(shape) of \(dtype) does not fit its \(bytes) bytes"
        case .invalidIndex(let path, let reason): return "\(path): invalid checkpoint index: \(reason)"
        case .missingShard(let index, let shard, let tensor):
            return "\(index): shard '\(shard)' (holding '\(tensor)') is missing"
        case .noWeights(let directory):
            return "\(directory): no model.safetensors, model.safetensors.index.json or *.safetensors file"
        case .tensorNotFound(let name, let directory): return "\(directory): tensor '\(name)' is missing"
        }
    }
}
