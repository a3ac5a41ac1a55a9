package dev.turnout.state;

import java.util.ArrayList;
import java.util.List;

/** The last {@value #LIMIT} flips, newest first. Written by the admin executor only; read from anywhere. */
public final class SwitchHistory {

    public static final int LIMIT = 100;

    private volatile List<FlipRecord> records;

    public SwitchHistory(List<FlipRecord> restored) {
        this.records = List.copyOf(restored.subList(0, Math.min(LIMIT, restored.size())));
    }

    public List<FlipRecord> records() {
        return records;
    }

    public void add(FlipRecord record) {
        List<FlipRecord> next = new ArrayList<>(LIMIT);
        next.add(record);
        next.addAll(records.subList(0, Math.min(LIMIT - 1, records.size())));
        records = List.copyOf(next);
    }

    /** Replaces the record of the same generation, once its drain has ended. */
    public void update(FlipRecord record) {
        List<FlipRecord> next = new ArrayList<>(records);
        next.replaceAll(r -> r.generation() == record.generation() ? record : r);
        records = List.copyOf(next);
    }
}
