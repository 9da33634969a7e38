import ChatFormat
import Foundation
import TestSupport
import XCTest

/// Byte-identity with the official template as transformers renders it
/// (Fixtures/chat_template_goldens.json, made by scripts/chat/make_goldens.py).
final class ChatTemplateGoldenTests: XCTestCase {
    private struct Golden {
        let name: String
        let messages: [ChatMessage]
        let tools: [ChatTool]
        let addGenerationPrompt: Bool
        let expected: String
    }

    private func loadGoldens() throws -> [Golden] {
        let url = TestSupport.fixtures("ChatFormatTests").appendingPathComponent("chat_template_goldens.json")
        let root = try JSONParser.parse([UInt8](try Data(contentsOf: url)))
        guard case .array(let cases)? = root["cases"] else { throw XCTSkip("fixture has no cases") }
        return try cases.map { entry in
            let tools: [ChatTool]
            if let text = entry["toolsText"]?.stringValue {
                tools = try ChatTool.decodeList(from: Data(text.utf8))
            } else {
                tools = try ChatTool.decodeList(json: entry["tools"] ?? .null)
            }
            return Golden(
                name: entry["name"]?.stringValue ?? "?",
                messages: try ChatMessage.decodeList(json: entry["messages"] ?? .null),
                tools: tools,
                addGenerationPrompt: entry["addGenerationPrompt"] == .bool(true),
                expected: entry["expected"]?.stringValue ?? "")
        }
    }

    func testEveryGoldenRendersByteIdentically() throws {
        let goldens = try loadGoldens()
        XCTAssertGreaterThanOrEqual(goldens.count, 30)
        for golden in goldens {
            let rendered = try ChatTemplate.render(
                messages: golden.messages, tools: golden.tools, addGenerationPrompt: golden.addGenerationPrompt)
            XCTAssertEqual(Array(rendered.utf8), Array(golden.expected.utf8), "golden \(golden.name)")
            if rendered != golden.expected { print("--- \(golden.name)\n\(rendered)\n--- expected\n\(golden.expected)") }
        }
    }

    /// The shipped template text still is what the goldens were rendered from (skips in a user's clone).
    func testOfficialTemplateIsTheOneTheGoldensCameFrom() throws {
        guard let shared = TestSupport.sharedDirectory else { throw XCTSkip("no shared directory") }
        let data = try Data(contentsOf: shared.appendingPathComponent("minimax-m1/tokenizer_config.json"))
        let template = try JSONParser.parse([UInt8](data))["chat_template"]?.stringValue ?? ""
        XCTAssertTrue(template.contains("message['content'][0]['text']"))
        XCTAssertTrue(template.contains("tool | tojson"))
        XCTAssertTrue(template.contains("selectattr('type', 'equalto', 'text')"))
        XCTAssertEqual(template, ChatTemplate.officialJinjaSource)
        XCTAssertTrue(ChatTemplate.isOfficialTemplate(template + "\n"))
        XCTAssertFalse(ChatTemplate.isOfficialTemplate("{{ messages }}"))
    }
}
