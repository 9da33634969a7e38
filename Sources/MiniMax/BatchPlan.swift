/// A `ModelBatch` arranged for the forward pass (`RowLayout`'s order): rows grouped by sequence,
/// single-row sequences first; the LM head's rows grouped the same way. Checks that every row names
/// a cache and continues it.
struct BatchPlan {
    /// [R] token ids in internal row order.
    var tokens: [Int] = []
    var segments: [RowSegment] = []
    var singleRows = 0
    var headRows: [Int] = []
    var headDestinations: [Int] = []
    var headSingleRows = 0

    init(_ batch: ModelBatch, caches: [ModelCache]) throws {
        // Each sequence's batch rows, sequences in order of first appearance.
        var order: [Int] = []
        var rowsOf: [Int: [Int]] = [:]
        for (r, row) in batch.rows.enumerated() {
            guard row.sequence >= 0, row.sequence < caches.count else {
                throw BatchError.sequenceOutOfRange(row: r, sequence: row.sequence, caches: caches.count)
            }
            if rowsOf[row.sequence] == nil { order.append(row.sequence) }
            rowsOf[row.sequence, default: []].append(r)
        }
        for sequence in order {
            for (i, r) in rowsOf[sequence, default: []].enumerated() {
                let expected = caches[sequence].position + i
                guard batch.rows[r].position == expected else {
                    throw BatchError.positionMismatch(row: r, sequence: sequence, expected: expected, found: batch.rows[r].position)
                }
            }
        }
        var internalRow = [Int](repeating: 0, count: batch.rows.count)
        for singles in [true, false] {
            for sequence in order where (rowsOf[sequence, default: []].count == 1) == singles {
                let rows = rowsOf[sequence, default: []]
                segments.append(RowSegment(cache: sequence, firstRow: tokens.count, count: rows.count))
                for r in rows {
                    internalRow[r] = tokens.count
                    tokens.append(batch.rows[r].token)
                }
            }
            if singles { singleRows = tokens.count }
        }
        // Logits rows are numbered in batch order.
        var logitsRow = [Int](repeating: -1, count: batch.rows.count)
        var next = 0
        for (r, row) in batch.rows.enumerated() where row.wantsLogits {
            logitsRow[r] = next
            next += 1
        }
        for singles in [true, false] {
            for sequence in order {
                let wanted = rowsOf[sequence, default: []].filter { batch.rows[$0].wantsLogits }
                guard !wanted.isEmpty, (wanted.count == 1) == singles else { continue }
                for r in wanted {
                    headRows.append(internalRow[r])
                    headDestinations.append(logitsRow[r])
                }
            }
            if singles { headSingleRows = headRows.count }
        }
    }
}
