import Testing

@testable import Data

@Suite struct TabularLoaderTests {
    @Test func csvWithQuotesAndMultiValuedColumn() throws {
        let directory = try TemporaryDirectory()
        let interactions = try directory.write(
            "events.csv",
            "user_id,item_id,timestamp,extra\r\nu1,\"a,1\",10,x\r\nu1,b,5,\"say \"\"hi\"\"\"\r\n\r\nu2,b,7,\"two\nlines\"\nu2,c,8,z\n"
        )
        let items = try directory.write("items.csv", "item_id,store_id,tags\n\"a,1\",s1,x|y\nb,s2,\nc,,y\n")
        let dataset = try TabularLoader(
            name: "csv", interactions: interactions, items: items, multiValuedColumns: ["tags"]
        ).load()
        #expect(dataset.interactions.count == 4)
        #expect(dataset.interactions.timestamps == [10, 5, 7, 8])
        // Line numbers of record starts: the quoted newline makes the u2,c record start on line 7.
        #expect(dataset.interactions.sourceOrder == [2, 3, 5, 7])
        #expect(dataset.catalog.keys == ["a,1", "b", "c"])
        #expect(dataset.catalog.fields.map(\.name) == ["item_id", "store_id", "tags"])
        #expect(dataset.catalog.fields.map(\.kind) == [.single, .single, .multi])
        #expect(dataset.catalog.values(item: 0)["tags"] == ["x", "y"])
        #expect(dataset.catalog.values(item: 2)["store_id"] == [])
    }

    @Test func csvWithoutTimestampKeepsFileOrder() throws {
        let directory = try TemporaryDirectory()
        let interactions = try directory.write("events.csv", "item_id,user_id\nb,u1\na,u1\n")
        let dataset = try TabularLoader(name: "csv", interactions: interactions).load()
        #expect(dataset.interactions.timestamps == [0, 0])
        let sequences = UserSequences(log: dataset.interactions)
        #expect(sequences.sequence(0).map { dataset.catalog.keys[Int($0)] } == ["b", "a"])
    }

    @Test func csvErrorsNameLineAndField() throws {
        let directory = try TemporaryDirectory()
        let short = try directory.write("short.csv", "user_id,item_id,timestamp\nu1,a,1\nu1,b\n")
        let shortError = #expect(throws: DataError.self) { try TabularLoader(name: "x", interactions: short).load() }
        #expect(shortError?.code == .malformedRow)
        #expect(shortError?.line == 3)
        #expect(shortError?.field == "timestamp")

        let badTime = try directory.write("time.csv", "user_id,item_id,timestamp\nu1,a,1\nu1,b,later\n")
        let timeError = #expect(throws: DataError.self) { try TabularLoader(name: "x", interactions: badTime).load() }
        #expect(timeError?.code == .badValue)
        #expect(timeError?.line == 3)
        #expect(timeError?.field == "timestamp")

        let noUser = try directory.write("nouser.csv", "item_id,timestamp\na,1\n")
        let columnError = #expect(throws: DataError.self) { try TabularLoader(name: "x", interactions: noUser).load() }
        #expect(columnError?.code == .missingColumn)
        #expect(columnError?.field == "user_id")

        let open = try directory.write("open.csv", "user_id,item_id\nu1,\"a\n")
        let quoteError = #expect(throws: DataError.self) { try TabularLoader(name: "x", interactions: open).load() }
        #expect(quoteError?.code == .malformedRow)
        #expect(quoteError?.line == 2)
    }

    @Test func jsonLinesItemsAndInteractions() throws {
        let directory = try TemporaryDirectory()
        let interactions = try directory.write(
            "events.jsonl",
            """
            {"user_id": 7, "item_id": 1, "timestamp": 2}
            {"user_id": 7, "item_id": "2", "timestamp": 1.5}

            {"user_id": "8", "item_id": 1, "timestamp": "3"}

            """)
        let items = try directory.write(
            "items.jsonl",
            """
            {"item_id": 1, "store_id": 10, "cate1_id": 3, "tags": ["a", "b"]}
            {"item_id": 2, "store_id": null, "cate1_id": 3, "tags": ["b"]}

            """)
        let dataset = try TabularLoader(name: "amazon-like", interactions: interactions, items: items).load()
        #expect(dataset.interactions.userKeys == ["7", "8"])
        #expect(dataset.interactions.timestamps == [2, 1.5, 3])
        #expect(dataset.interactions.sourceOrder == [1, 2, 4])
        #expect(dataset.catalog.fields.map(\.name) == ["item_id", "cate1_id", "store_id", "tags"])
        #expect(dataset.catalog.fields.map(\.kind) == [.single, .single, .single, .multi])
        #expect(dataset.catalog.values(item: 0)["store_id"] == ["10"])
        #expect(dataset.catalog.values(item: 1)["store_id"] == [])
        #expect(dataset.catalog.values(item: 1)["tags"] == ["b"])
    }

    @Test func jsonLinesErrorsNameLineAndField() throws {
        let directory = try TemporaryDirectory()
        let broken = try directory.write(
            "broken.jsonl", "{\"user_id\": 1, \"item_id\": 2}\n{\"user_id\": 1, \"item_id\": \n")
        let syntax = #expect(throws: DataError.self) { try TabularLoader(name: "x", interactions: broken).load() }
        #expect(syntax?.code == .malformedRow)
        #expect(syntax?.line == 2)

        let nested = try directory.write("nested.jsonl", "{\"user_id\": 1, \"item_id\": {\"id\": 2}}\n")
        let value = #expect(throws: DataError.self) { try TabularLoader(name: "x", interactions: nested).load() }
        #expect(value?.line == 1)
        #expect(value?.field == "item_id")

        let missing = try directory.write(
            "missing.jsonl", "{\"user_id\": 1, \"item_id\": 2, \"timestamp\": 1}\n{\"user_id\": 1, \"item_id\": 3}\n")
        let time = #expect(throws: DataError.self) { try TabularLoader(name: "x", interactions: missing).load() }
        #expect(time?.line == 2)
        #expect(time?.field == "timestamp")

        let unknown = try directory.write("events.txt", "user_id,item_id\n")
        let kind = #expect(throws: DataError.self) { try TabularLoader(name: "x", interactions: unknown).load() }
        #expect(kind?.code == .invalidArgument)
    }
}
