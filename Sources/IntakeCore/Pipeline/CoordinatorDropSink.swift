/// Hands the inbox's claimed drops to the coordinator: each becomes its tasks, in the same
/// transaction that marks it claimed.
///
/// An image drop is one task whose source is the dropped file; a URL list is one task per
/// distinct URL plus one failed task (`invalid_url`) per invalid line; a rejected drop is one
/// task failed at once with the rejection's code.
public struct CoordinatorDropSink: DropSink {
    private let store: SQLiteTaskStore

    public init(store: SQLiteTaskStore) {
        self.store = store
    }

    public func record(_ drops: [ClaimedDrop]) throws {
        try store.recordClaimed(drops.map { (CoordinatorDropSink.newDrop(for: $0), $0) })
    }

    /// The drop and tasks the coordinator records for `drop`.
    static func newDrop(for drop: ClaimedDrop) -> NewDrop {
        var tasks: [NewDrop.Task] = []
        switch drop.kind {
        case .image:
            tasks = [NewDrop.Task(source: drop.origin)]
        case .urlList(let list):
            tasks = list.urls.map { NewDrop.Task(source: $0) }
            tasks += list.invalidLines.map { line in
                NewDrop.Task(
                    source: "\(drop.origin)#line=\(line.number)",
                    failure: .permanent(URLList.invalidURLCode, line.message))
            }
        case .rejected(let rejection):
            tasks = [
                NewDrop.Task(
                    source: drop.origin,
                    failure: .permanent(rejection.code, rejection.message))
            ]
        }
        return NewDrop(
            traceID: drop.traceID, origin: drop.origin, kind: drop.kindName,
            workPath: drop.workPath, tasks: tasks)
    }
}
