// Prints how Java's DateTimeFormatter formats each pattern letter, 1 to 5 times, at boundary
// instants, in UTC with Locale.US: the golden file tests/java_time_patterns.tsv that
// src/datapath/timefmt.rs is checked against. Regenerate with
//   java tests/tools/TimePatterns.java > tests/java_time_patterns.tsv
import java.time.*;
import java.time.format.*;
import java.util.Locale;

public class TimePatterns {
    public static void main(String[] args) {
        long[][] instants = {
            {1565382027L, 123456789}, // 2019-08-09T20:20:27.123456789Z, a Friday
            {0L, 0},                  // 1970-01-01T00:00:00Z, a Thursday
            {1609459199L, 999000000}, // 2020-12-31T23:59:59.999Z: end of a leap year, ISO week 53
            {1609459200L, 0},         // 2021-01-01T00:00:00Z: a Friday in the week-year 2020
            {1640995200L, 500000000}, // 2022-01-01T00:00:00.5Z: a Saturday
            {1704067200L, 0},         // 2024-01-01T00:00:00Z: a Monday, week 1
            {1735603200L, 0},         // 2024-12-31T00:00:00Z: a Tuesday in the week-year 2025
            {1712016000L, 0},         // 2024-04-02T00:00:00Z: the first day of Q2
            {1719835199L, 0},         // 2024-07-01T11:59:59Z: noon minus one second
            {1719835200L, 0},         // 2024-07-01T12:00:00Z: noon
            {1719849600L, 0},         // 2024-07-01T16:00:00Z: afternoon
            {1719802800L, 0},         // 2024-07-01T03:00:00Z: night
            {1719813600L, 0},         // 2024-07-01T06:00:00Z: morning begins
            {1719856800L, 0},         // 2024-07-01T18:00:00Z: evening begins
            {1719867600L, 0},         // 2024-07-01T21:00:00Z: night begins
            {1677628800L, 0},         // 2023-03-01T00:00:00Z: a Wednesday, week-of-month edges
            {-86400L * 366, 0},       // 1969-01-01T00:00:00Z: before the epoch
        };
        String letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        for (long[] i : instants) {
            ZonedDateTime t = Instant.ofEpochSecond(i[0], i[1]).atZone(ZoneId.of("UTC"));
            for (char c : letters.toCharArray()) {
                for (int n = 1; n <= 5; n++) {
                    String pattern = String.valueOf(c).repeat(n);
                    String out;
                    try {
                        out = DateTimeFormatter.ofPattern(pattern, Locale.US).format(t);
                    } catch (Exception e) {
                        out = "ERROR";
                    }
                    System.out.println(i[0] + "\t" + i[1] + "\t" + pattern + "\t" + out);
                }
            }
        }
    }
}
