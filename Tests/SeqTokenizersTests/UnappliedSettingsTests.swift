import Foundation
import Testing

@testable import SeqTokenizers

/// Settings of a Hugging Face file that SeqKit does not apply are refused with a line naming the field,
/// instead of loading and giving ids or offsets that differ from the tokenizers library.
@Suite struct UnappliedSettingsTests {
    /// `hf_bpe.json` with `edit` applied to its JSON object.
    func edited(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        let data = try Data(contentsOf: Fixtures.url("hf_bpe.json"))
        var root = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        edit(&root)
        return try JSONSerialization.data(withJSONObject: root)
    }

    func refusal(_ data: Data) -> String? {
        do {
            _ = try loadTokenizer(json: data)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func theUneditedFileLoads() throws {
        #expect(refusal(try edited { _ in }) == nil)
    }

    @Test(arguments: ["lstrip", "rstrip", "single_word"])
    func addedTokenFlagIsRefused(flag: String) throws {
        let data = try edited { root in
            var list = root["added_tokens"] as! [[String: Any]]
            list[0][flag] = true
            root["added_tokens"] = list
        }
        let message = try #require(refusal(data))
        #expect(message.contains("'added_tokens[0].\(flag)' is true"))
        #expect(!message.contains("\n"))
    }

    @Test func truncationIsRefused() throws {
        let data = try edited { root in
            root["truncation"] = ["direction": "Right", "max_length": 8, "strategy": "LongestFirst", "stride": 0]
        }
        #expect(try #require(refusal(data)).contains("'truncation' is set"))
    }

    @Test func paddingIsRefused() throws {
        let data = try edited { root in
            root["padding"] = ["direction": "Right", "pad_id": 0, "pad_token": "[PAD]", "strategy": "BatchLongest"]
        }
        #expect(try #require(refusal(data)).contains("'padding' is set"))
    }

    @Test func byteLevelPostProcessorThatTrimsOffsetsIsRefused() throws {
        let trimming = try edited { root in
            root["post_processor"] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true]
        }
        #expect(try #require(refusal(trimming)).contains("'post_processor.trim_offsets'"))
        let notTrimming = try edited { root in
            root["post_processor"] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false]
        }
        #expect(refusal(notTrimming) == nil)
    }
}
