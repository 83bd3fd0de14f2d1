public import Redis

/// The user-prefix update: append one item to a user's recent items, at most once per event.
///
/// **Key** `KEYS[1]` = `resid:{ns}:prefix:{user}`, a string:
/// `<watermarks> 0x1E <event ids> 0x1E <item> 0x1F <item> 0x1F ...`, oldest item first, where
/// `<watermarks>` is `partition=offset` pairs joined by `,` (one pair per Kafka partition the
/// user's events came from; normally exactly one) and `<event ids>` is the user's last
/// ``eventWindow`` applied events as `hash@partition:offset` joined by 0x1F (`hash`: the first 16
/// hex digits of the event id's SHA-1). A value without the event-id section (written before it
/// existed) reads as an empty window.
///
/// **Arguments** `ARGV[1]` item key (non-empty, without bytes 0x1E/0x1F), `ARGV[2]` partition
/// (decimal, >= 0), `ARGV[3]` offset (decimal, 0 ... 2^53: Lua numbers are doubles),
/// `ARGV[4]` the most items to keep, `ARGV[5]` the event id (empty: no duplicate check).
///
/// **Optional key** `KEYS[2]` = `resid:{ns}:uptake`, a hash of item key → applied events: when
/// present, an appended event adds one to its item's count in the same atomic step, so the
/// count is exactly-once with the prefix (a replay or a duplicate counts nothing). The daemon
/// passes it for items that took their SID online, whose uptake the generator cannot know.
///
/// **Reply** `{status, items}`: `status` is 1 when the item was appended, 0 when the event's
/// offset is not above the partition's watermark (a replay of an event already seen at this
/// position: nothing changes), 2 when the event id is in the window at another position (a
/// duplicate event: its offset is recorded, the prefix does not change); `items` is the current
/// prefix joined by 0x1F.
///
/// The duplicate contract: producers may resend an event (same `event_id`) at a new offset; the
/// daemon applies and predicts it once, as long as no more than ``eventWindow`` other events of
/// the same user came between the two. The position kept with each id tells a replay of the
/// applied event (after a crash, predicted again as at-least-once delivery allows) from a
/// duplicate (never predicted), whichever of the two is read again.
///
/// Why one string rather than a hash or a list: `MEMORY USAGE` of a 32-item prefix measured
/// 432 bytes as one string, 600 as a hash (the item field exceeds `hash-max-listpack-value`, so
/// the hash leaves the compact listpack encoding) and 592 as a list plus a watermark hash
/// (two keys). Per-partition watermarks (not one global pair) keep offsets comparable: offsets
/// of different partitions say nothing about each other's order. Hashed ids keep the window at
/// about 30 bytes an event whatever the producers' id format.
public enum PrefixScript {
    /// The script.
    public static let script = RedisScript(name: "prefix-update", source: source)

    /// Separates items in the stored value and the reply.
    public static let itemSeparator: Character = "\u{1F}"
    /// Separates the watermarks, the event-id window and the items.
    public static let headerSeparator: Character = "\u{1E}"
    /// Event ids remembered per user for the duplicate check.
    public static let eventWindow = 32

    static let source = #"""
        local item, partition, offsetText, maxText, eventID = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5] or ''
        if item == nil or item == '' or string.find(item, '[\30\31]') then
          return redis.error_reply('ERR prefix script: ARGV[1] item key must be non-empty and free of bytes 0x1E/0x1F')
        end
        if not string.match(partition or '', '^%d+$') then
          return redis.error_reply('ERR prefix script: ARGV[2] partition must be a non-negative integer')
        end
        if not string.match(offsetText or '', '^%d+$') or #offsetText > 16 then
          return redis.error_reply('ERR prefix script: ARGV[3] offset must be an integer in 0...2^53')
        end
        local offset = tonumber(offsetText)
        local maxItems = tonumber(maxText)
        if not maxItems or maxItems < 1 then
          return redis.error_reply('ERR prefix script: ARGV[4] max items must be a positive integer')
        end
        partition = tostring(tonumber(partition))
        offsetText = tostring(offset)

        local marks, ids, items = '', '', ''
        local stored = redis.call('GET', KEYS[1])
        if stored then
          local cut = string.find(stored, '\30', 1, true)
          marks = string.sub(stored, 1, cut - 1)
          local rest = string.sub(stored, cut + 1)
          local second = string.find(rest, '\30', 1, true)
          if second then
            ids = string.sub(rest, 1, second - 1)
            items = string.sub(rest, second + 1)
          else
            items = rest
          end
        end

        local position = partition .. ':' .. offsetText
        local hash, duplicate = '', false
        if eventID ~= '' then
          hash = string.sub(redis.sha1hex(eventID), 1, 16)
          for h, p in string.gmatch(ids, '(%x+)@([%d:]+)') do
            if h == hash then
              if p == position then return {0, items} end
              duplicate = true
            end
          end
        end

        local newMarks, seen = {}, false
        for p, o in string.gmatch(marks, '(%d+)=(%d+)') do
          if p == partition then
            if offset <= tonumber(o) then return {duplicate and 2 or 0, items} end
            o, seen = offsetText, true
          end
          newMarks[#newMarks + 1] = p .. '=' .. o
        end
        if not seen then newMarks[#newMarks + 1] = partition .. '=' .. offsetText end

        if duplicate then
          redis.call('SET', KEYS[1], table.concat(newMarks, ',') .. '\30' .. ids .. '\30' .. items)
          return {2, items}
        end

        if hash ~= '' then
          local entry = hash .. '@' .. position
          if ids == '' then ids = entry else ids = ids .. '\31' .. entry end
          local _, kept = string.gsub(ids, '\31', '')
          kept = kept + 1
          while kept > \#(eventWindow) do
            ids = string.sub(ids, string.find(ids, '\31', 1, true) + 1)
            kept = kept - 1
          end
        end

        local count = 1
        if items == '' then
          items = item
        else
          local _, separators = string.gsub(items, '\31', '')
          count = separators + 2
          items = items .. '\31' .. item
        end
        while count > maxItems do
          items = string.sub(items, string.find(items, '\31', 1, true) + 1)
          count = count - 1
        end
        redis.call('SET', KEYS[1], table.concat(newMarks, ',') .. '\30' .. ids .. '\30' .. items)
        if KEYS[2] then redis.call('HINCRBY', KEYS[2], item, 1) end
        return {1, items}
        """#
}

/// One interaction to append to a user's prefix, with its Kafka position for idempotence.
public struct PrefixEvent: Sendable, Hashable {
    /// The user key.
    public var user: String
    /// The item key appended to the prefix.
    public var item: String
    /// The Kafka partition the event came from.
    public var partition: Int32
    /// The event's offset in that partition.
    public var offset: Int64
    /// The producer's event id; empty skips the duplicate check.
    public var eventID: String
    /// Count the event in the item's uptake (``RedisKeys/uptake``) when it is appended.
    public var countsUptake: Bool

    /// Creates an event.
    public init(
        user: String, item: String, partition: Int32, offset: Int64, eventID: String = "", countsUptake: Bool = false
    ) {
        self.user = user
        self.item = item
        self.partition = partition
        self.offset = offset
        self.eventID = eventID
        self.countsUptake = countsUptake
    }
}

/// The outcome of one prefix update.
public struct PrefixUpdate: Sendable, Hashable {
    /// True when the item was appended; false for a replayed (or older) event or a duplicate.
    public var applied: Bool
    /// True when the event repeats an event id of the user's window at another position.
    public var duplicate: Bool
    /// The user's prefix after the update, oldest item first.
    public var items: [String]

    /// Creates an outcome.
    public init(applied: Bool, duplicate: Bool = false, items: [String]) {
        self.applied = applied
        self.duplicate = duplicate
        self.items = items
    }
}
