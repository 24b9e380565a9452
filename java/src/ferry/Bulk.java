package ferry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;

/**
 * Loops that run faster in Java than as one JNI call per element: the native engine hands a whole
 * primitive array to one of these and gets a collection back (or the reverse).
 */
final class Bulk {
    private Bulk() {}

    static ArrayList<Object> intList(int[] a) {
        ArrayList<Object> out = new ArrayList<Object>(a.length);
        for (int v : a) {
            out.add(v);
        }
        return out;
    }

    static ArrayList<Object> longList(long[] a) {
        ArrayList<Object> out = new ArrayList<Object>(a.length);
        for (long v : a) {
            out.add(v);
        }
        return out;
    }

    static ArrayList<Object> doubleList(double[] a) {
        ArrayList<Object> out = new ArrayList<Object>(a.length);
        for (double v : a) {
            out.add(v);
        }
        return out;
    }

    static ArrayList<Object> floatList(float[] a) {
        ArrayList<Object> out = new ArrayList<Object>(a.length);
        for (float v : a) {
            out.add(v);
        }
        return out;
    }

    static ArrayList<Object> shortList(short[] a) {
        ArrayList<Object> out = new ArrayList<Object>(a.length);
        for (short v : a) {
            out.add(v);
        }
        return out;
    }

    static ArrayList<Object> byteList(byte[] a) {
        ArrayList<Object> out = new ArrayList<Object>(a.length);
        for (byte v : a) {
            out.add(v);
        }
        return out;
    }

    static ArrayList<Object> booleanList(boolean[] a) {
        ArrayList<Object> out = new ArrayList<Object>(a.length);
        for (boolean v : a) {
            out.add(v);
        }
        return out;
    }

    static ArrayList<Object> charList(char[] a) {
        ArrayList<Object> out = new ArrayList<Object>(a.length);
        for (char v : a) {
            out.add(v);
        }
        return out;
    }

    /** Strings packed as one char[] and the end offset of each. */
    static String[] strings(char[] data, int[] ends) {
        String[] out = new String[ends.length];
        int start = 0;
        for (int i = 0; i < ends.length; i++) {
            out[i] = new String(data, start, ends[i] - start);
            start = ends[i];
        }
        return out;
    }

    static ArrayList<Object> list(Object[] items) {
        ArrayList<Object> out = new ArrayList<Object>(items.length);
        for (Object o : items) {
            out.add(o);
        }
        return out;
    }

    static HashSet<Object> set(Object[] items) {
        HashSet<Object> out = new HashSet<Object>(Math.max(16, (int) (items.length / 0.75f) + 1));
        for (Object o : items) {
            out.add(o);
        }
        return out;
    }

    static HashMap<Object, Object> map(Object[] keys, Object[] values) {
        HashMap<Object, Object> out = new HashMap<Object, Object>(Math.max(16, (int) (keys.length / 0.75f) + 1));
        for (int i = 0; i < keys.length; i++) {
            out.put(keys[i], values[i]);
        }
        return out;
    }

    /** The elements of a collection or an object array, as an array. */
    static Object[] elements(Object o) {
        if (o instanceof Object[]) {
            return (Object[]) o;
        }
        return ((Collection<?>) o).toArray();
    }

    /** A map's keys and values, in matching order. */
    static Object[][] entries(Map<?, ?> m) {
        Object[] keys = new Object[m.size()];
        Object[] values = new Object[m.size()];
        int i = 0;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (i == keys.length) {
                break;
            }
            keys[i] = e.getKey();
            values[i] = e.getValue();
            i++;
        }
        return new Object[][] {keys, values};
    }

    /**
     * When every element is of one boxed type (or a String), the elements as a primitive array
     * (Integer, Long, Double, Boolean) or as packed strings ({char[], int[]}); otherwise null.
     * Shorts, bytes, floats and characters stay mixed: Python sees them as ints, floats and
     * one-character strings anyway, through the per-element path.
     */
    static Object homogeneous(Object[] items) {
        if (items.length == 0) {
            return null;
        }
        Class<?> c = items[0] == null ? null : items[0].getClass();
        if (c == null) {
            return null;
        }
        for (Object o : items) {
            if (o == null || o.getClass() != c) {
                return null;
            }
        }
        if (c == Integer.class) {
            int[] out = new int[items.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (Integer) items[i];
            }
            return out;
        }
        if (c == Long.class) {
            long[] out = new long[items.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (Long) items[i];
            }
            return out;
        }
        if (c == Double.class) {
            double[] out = new double[items.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (Double) items[i];
            }
            return out;
        }
        if (c == Boolean.class) {
            boolean[] out = new boolean[items.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (Boolean) items[i];
            }
            return out;
        }
        if (c == String.class) {
            int total = 0;
            for (Object o : items) {
                total += ((String) o).length();
            }
            char[] data = new char[total];
            int[] ends = new int[items.length];
            int at = 0;
            for (int i = 0; i < items.length; i++) {
                String s = (String) items[i];
                s.getChars(0, s.length(), data, at);
                at += s.length();
                ends[i] = at;
            }
            return new Object[] {data, ends};
        }
        return null;
    }

    /**
     * A java.time value as its kind code and text (see TemporalKind in the protocol crate), or
     * null for anything else. A Duration is written as seconds and nanoseconds.
     */
    static String[] temporal(Object o) {
        if (o instanceof java.time.LocalDate) {
            return new String[] {"1", o.toString()};
        }
        if (o instanceof java.time.LocalTime) {
            return new String[] {"2", o.toString()};
        }
        if (o instanceof java.time.LocalDateTime) {
            return new String[] {"3", o.toString()};
        }
        if (o instanceof java.time.Instant) {
            return new String[] {"4", o.toString()};
        }
        if (o instanceof java.time.OffsetDateTime) {
            return new String[] {"5", o.toString()};
        }
        if (o instanceof java.time.ZonedDateTime) {
            return new String[] {"6", o.toString()};
        }
        if (o instanceof java.time.Duration) {
            java.time.Duration d = (java.time.Duration) o;
            return new String[] {"7", d.getSeconds() + "." + String.format("%09d", d.getNano())};
        }
        return null;
    }

    /** The java.time value of a kind code and its text (the reverse of {@link #temporal}). */
    static Object parseTemporal(int code, String text) {
        switch (code) {
            case 1:
                return java.time.LocalDate.parse(text);
            case 2:
                return java.time.LocalTime.parse(text);
            case 3:
                return java.time.LocalDateTime.parse(text);
            case 4:
                return java.time.Instant.parse(text);
            case 5:
                return java.time.OffsetDateTime.parse(text);
            case 6:
                return java.time.ZonedDateTime.parse(text);
            case 7: {
                int dot = text.indexOf('.');
                long seconds = Long.parseLong(dot < 0 ? text : text.substring(0, dot));
                long nanos = dot < 0 ? 0 : Long.parseLong(text.substring(dot + 1));
                return java.time.Duration.ofSeconds(seconds, nanos);
            }
            default:
                throw new IllegalArgumentException("unknown java.time kind " + code);
        }
    }

    /** Up to max next elements of an iterator (fewer when it runs out). */
    static Object[] next(Iterator<?> it, int max) {
        ArrayList<Object> out = new ArrayList<Object>(Math.min(max, 1024));
        while (out.size() < max && it.hasNext()) {
            out.add(it.next());
        }
        return out.toArray();
    }
}
