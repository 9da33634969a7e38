import Foundation
import Training

/// Float copies of Double test tensors at stable addresses, freed with the storage.
final class ParameterStorage {
    private var buffers: [UnsafeMutableBufferPointer<Float>] = []

    func make(_ values: [Double]) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, values.count))
        for (i, v) in values.enumerated() { buffer[i] = Float(v) }
        buffers.append(buffer)
        return buffer.baseAddress!
    }

    deinit { for buffer in buffers { buffer.deallocate() } }

    static func read(_ p: UnsafeMutablePointer<Float>, _ count: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: p, count: count))
    }
}
