import Foundation
import Generation
import MiniMax
import TestSupport

/// A small random-weight model with a byte-level tokenizer, written once per test process.
enum TinyModel {
    static let configJSON = #"{"model_type":"minimax","vocab_size":300,"hidden_size":64,"intermediate_size":96,"num_hidden_layers":4,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":16,"num_local_experts":4,"num_experts_per_tok":2,"block_size":16,"layer_types":["linear_attention","full_attention","linear_attention","full_attention"],"rope_parameters":{"rope_type":"default","rope_theta":10000.0},"max_position_embeddings":4096,"eos_token_id":259}"#

    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("minimax-serving-tests-\(getpid())")
        let configuration = try! Configuration.decode(Data(configJSON.utf8))
        try! RandomCheckpointWriter.write(configuration, to: url, seed: 3, scale: 2)
        try! ByteTokenizerFiles.write(to: url, vocabularySize: configuration.vocabularySize)
        return url
    }()

    static func bundle() throws -> ModelBundle { try ModelBundle(directory: directory) }
}
