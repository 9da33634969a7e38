import Foundation
import Tensors

/// Writes tensors as one `.safetensors` file, atomically (temporary file, then rename).
public enum SafeTensorsWriter {
    public static func write(_ tensors: [(name: String, tensor: TensorView)], metadata: [String: String] = [:], to url: URL) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, tensor) in tensors {
            header[name] = [
                "dtype": tensor.dtype.safetensorsName, "shape": tensor.shape,
                "data_offsets": [offset, offset + tensor.byteCount],
            ] as [String: Any]
            offset += tensor.byteCount
        }
        var headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data section starts 8-byte aligned.
        while (8 + headerData.count) % 8 != 0 { headerData.append(0x20) }
        var data = Data()
        var length = UInt64(headerData.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(headerData)
        for (_, tensor) in tensors { data.append(Data(bytes: tensor.base, count: tensor.byteCount)) }
        try AtomicFile.write(data, to: url)
    }
}
