package callbacks;

/** Implemented in Python by the callback tests. */
public interface Pong {
    String pong(CallbackApp app, int depth);
}
