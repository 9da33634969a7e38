/// Softmax-attention KV memory in pages: a sequence holding T tokens uses ⌈T / pageSize⌉ pages
/// (each page covers every softmax layer). A model without softmax layers needs none.
struct KeyValuePageBudget: Equatable {
    let pageSize: Int
    /// Pages all running sequences may hold together.
    let totalPages: Int
    /// Bytes one page takes (all softmax layers, keys and values, fp32).
    let bytesPerPage: Int

    func pages(forTokens tokens: Int) -> Int {
        bytesPerPage == 0 ? 0 : (tokens + pageSize - 1) / pageSize
    }

    /// Most tokens one sequence can ever hold within the budget.
    var maxTokensPerSequence: Int {
        bytesPerPage == 0 ? Int.max : totalPages.multipliedReportingOverflow(by: pageSize).overflow ? Int.max : totalPages * pageSize
    }
}
