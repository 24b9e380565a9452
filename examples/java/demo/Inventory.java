package demo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The quickstart's entry point: a small stock of items that Python reads and changes. */
public class Inventory {
    /** One line of stock. */
    public static class Item {
        public final String name;
        public int quantity;
        public final double price;

        Item(String name, int quantity, double price) {
            this.name = name;
            this.quantity = quantity;
            this.price = price;
        }

        public double value() {
            return quantity * price;
        }

        @Override
        public String toString() {
            return name + " x" + quantity + " @ " + price;
        }
    }

    private final Map<String, Item> items = new LinkedHashMap<>();

    public Item add(String name, int quantity, double price) {
        Item item = new Item(name, quantity, price);
        items.put(name, item);
        return item;
    }

    public Item find(String name) {
        Item item = items.get(name);
        if (item == null) {
            throw new IllegalArgumentException("no item named " + name);
        }
        return item;
    }

    public List<String> names() {
        return new ArrayList<>(items.keySet());
    }

    public double total() {
        double sum = 0;
        for (Item i : items.values()) {
            sum += i.value();
        }
        return sum;
    }
}
