import Hummingbird
import Serving

/// `GET /v1/models`, `GET /v1/models/{id}` and `GET /health`.
struct InfoRoutes: Sendable {
    let server: ServerState

    struct ModelOut: Encodable {
        let id: String
        let object = "model"
        let created: Int
        let owned_by = "minimax-swift"
        let max_model_len: Int

        enum CodingKeys: String, CodingKey { case id, object, created, owned_by, max_model_len }
    }

    struct ModelListOut: Encodable {
        let object = "list"
        let data: [ModelOut]

        enum CodingKeys: String, CodingKey { case object, data }
    }

    struct HealthOut: Encodable {
        let status = "ok"
        let running: Int
        let waiting: Int
        let kv_pages_used: Int
        let kv_pages_total: Int
        let max_context: Int

        enum CodingKeys: String, CodingKey { case status, running, waiting, kv_pages_used, kv_pages_total, max_context }
    }

    private var model: ModelOut {
        ModelOut(id: server.options.servedModelName, created: server.startTime, max_model_len: server.service.maxContext)
    }

    func models() throws -> Response {
        try JSONCoding.response(ModelListOut(data: [model]))
    }

    func model(named name: String) throws -> Response {
        try server.checkModel(name)
        return try JSONCoding.response(model)
    }

    func health() throws -> Response {
        let status = server.service.status
        return try JSONCoding.response(HealthOut(
            running: status.running, waiting: status.waiting, kv_pages_used: status.kvPagesUsed,
            kv_pages_total: status.kvPagesTotal, max_context: server.service.maxContext))
    }
}
