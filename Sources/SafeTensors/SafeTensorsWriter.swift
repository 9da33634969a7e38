import Foundation
import Tensors

/// Writes tensors as one `.safetensors` file, atomically (temporary file, then rename). A quantized
/// view is written as its codes alone ("I8", or "U8" two codes per byte with the last axis ⌈k/2⌉);
/// its scales are tensors of their own (`QuantizedTensorNames`).
public enum SafeTensorsWriter {
    public static func write(_ tensors: [(name: String, tensor: TensorView)], metadata: [String: String] = [:], to url: URL) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        // Wider elements first, so every tensor starts aligned to its element size (the data
        // section starts 8-byte aligned and has no gaps).
        let tensors = tensors.enumerated().sorted {
            ($0.element.tensor.dtype.bitWidth, -$0.offset) > ($1.element.tensor.dtype.bitWidth, -$1.offset)
        }.map(\.element)
        var offset = 0
        for (name, tensor) in tensors {
            header[name] = [
                "dtype": tensor.dtype.safetensorsName, "shape": tensor.storedShape,
                "data_offsets": [offset, offset + tensor.dataByteCount],
            ] as [String: Any]
            offset += tensor.dataByteCount
        }
        var headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data section starts 8-byte aligned.
        while (8 + headerData.count) % 8 != 0 { headerData.append(0x20) }
        var data = Data()
        var length = UInt64(headerData.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(headerData)
        for (_, tensor) in tensors { data.append(Data(bytes: tensor.base, count: tensor.dataByteCount)) }
        try AtomicFile.write(data, to: url)
    }
}
