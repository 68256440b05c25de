package io.jollama.server.catalog;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.ZonedDateTime;

import static org.junit.jupiter.api.Assertions.*;

/** The gallery's conversions, table-driven: every unit and relative-date form of the spec (1.4) and the data (1.7). */
class ConversionsTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "NULL", textBlock = """
            14GB     | 14000000000
            46MB     | 46000000
            67MB     | 67000000
            274MB    | 274000000
            1.3TB    | 1300000000000
            2.5PB    | 2500000000000000
            3KB      | 3000
            128K     | 128000
            2K       | 2000
            4K       | 4000
            40K      | 40000
            512      | 512
            1M       | 1000000
            10M      | 10000000
            1000K    | 1000000
            117.1M   | 117100000
            89.7M    | 89700000
            24.5K    | 24500
            386.8K   | 386800
            3,912    | 3912
            1.2345K  | 1234
            14 gb    | 14000000000
            1G       | 1000000000
            2T       | 2000000000000
            ''       | 0
            -        | 0
            NULL     | 0
            n/a      | 0
            """)
    void sizesCountsAndContextWindowsAreDecimal(String text, long expected) {
        assertEquals(expected, Conversions.number(text));
    }

    @ParameterizedTest(name = "{1} at {0} -> {2}")
    @CsvSource(delimiter = '|', nullValues = "NULL", textBlock = """
            2026-07-15T03:30:00Z | 1 year ago      | 2025-07-15
            2026-07-03T03:30:00Z | 1 year ago      | 2025-07-03
            2026-07-15T03:30:00Z | 2 years ago     | 2024-07-15
            2026-07-15T03:30:00Z | 1 month ago     | 2026-06-15
            2026-07-15T03:30:00Z | 10 months ago   | 2025-09-15
            2026-07-15T03:30:00Z | 12 months ago   | 2025-07-15
            2026-03-31T03:30:00Z | 1 month ago     | 2026-02-28
            2024-02-29T03:30:00Z | 1 year ago      | 2023-02-28
            2026-07-15T03:30:00Z | 2 weeks ago     | 2026-07-01
            2026-07-15T03:30:00Z | 1 week ago      | 2026-07-08
            2026-07-15T03:30:00Z | 3 days ago      | 2026-07-12
            2026-07-15T03:30:00Z | 1 day ago       | 2026-07-14
            2026-07-15T03:30:00Z | yesterday       | 2026-07-14
            2026-07-15T03:30:00Z | Yesterday       | 2026-07-14
            2026-07-15T03:30:00Z | 2 hours ago     | 2026-07-15
            2026-07-15T03:30:00Z | 5 hours ago     | 2026-07-14
            2026-07-15T03:30:00Z | an hour ago     | 2026-07-15
            2026-07-15T00:10:00Z | 30 minutes ago  | 2026-07-14
            2026-07-15T00:00:10Z | 45 seconds ago  | 2026-07-14
            2026-07-15T03:30:00Z | a year ago      | 2025-07-15
            2026-07-15T03:30:00Z | just now        | 2026-07-15
            2026-07-15T03:30:00Z | ' 1 month ago ' | 2026-06-15
            2025-08-03T09:46:47Z | 7 months ago    | 2025-01-03
            2026-07-15T03:30:00Z | ''              | NULL
            2026-07-15T03:30:00Z | soon            | NULL
            2026-07-15T03:30:00Z | 1 fortnight ago | NULL
            """)
    void relativeDatesCountBackInCalendarUnits(String now, String text, String expected) {
        assertEquals(expected, Conversions.relativeDate(text, ZonedDateTime.parse(now)));
    }
}
