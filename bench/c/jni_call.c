/* The JNI floor of the embedded rows: C calls the methods of embeddedbench.Calls through JNI with
 * method ids looked up once, in a JVM it creates itself (the invocation API), and times batches of
 * calls with clock_gettime. Each variant adds what a bridge from another language does around a
 * call: an exception check, a local frame for the call's references.
 *
 *   jni_call CLASSPATH CALLS_PER_BATCH BATCHES
 *
 * prints one line per variant: "<name> <ns per call of each batch, space-separated>". */
#include <jni.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

enum variant { PLAIN, CHECKED, FRAMED, STATIC_PLAIN, ONE_INT, VARIANTS };
static const char *NAMES[VARIANTS] = {"nop", "nop_checked", "nop_framed", "snop", "one_int"};

static volatile jint sink;

static void run(JNIEnv *env, enum variant v, jobject o, jclass cls, jmethodID m, long calls) {
    jvalue arg;
    arg.i = 5;
    for (long i = 0; i < calls; i++) {
        switch (v) {
        case PLAIN:
            sink = (*env)->CallIntMethodA(env, o, m, NULL);
            break;
        case CHECKED:
            sink = (*env)->CallIntMethodA(env, o, m, NULL);
            if ((*env)->ExceptionCheck(env)) {
                abort();
            }
            break;
        case FRAMED:
            if ((*env)->PushLocalFrame(env, 8) != 0) {
                abort();
            }
            sink = (*env)->CallIntMethodA(env, o, m, NULL);
            if ((*env)->ExceptionCheck(env)) {
                abort();
            }
            (*env)->PopLocalFrame(env, NULL);
            break;
        case STATIC_PLAIN:
            sink = (*env)->CallStaticIntMethodA(env, cls, m, NULL);
            break;
        case ONE_INT:
            sink = (*env)->CallIntMethodA(env, o, m, &arg);
            break;
        default:
            abort();
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s CLASSPATH CALLS_PER_BATCH BATCHES\n", argv[0]);
        return 2;
    }
    long calls = atol(argv[2]);
    long batches = atol(argv[3]);
    static char classpath[8192];
    snprintf(classpath, sizeof classpath, "-Djava.class.path=%s", argv[1]);
    JavaVMOption options[2];
    options[0].optionString = classpath;
    options[1].optionString = "-Xrs";
    JavaVMInitArgs init;
    init.version = JNI_VERSION_1_8;
    init.nOptions = 2;
    init.options = options;
    init.ignoreUnrecognized = JNI_FALSE;
    JavaVM *vm;
    JNIEnv *env;
    if (JNI_CreateJavaVM(&vm, (void **)&env, &init) != JNI_OK) {
        fprintf(stderr, "cannot create the JVM\n");
        return 1;
    }
    jclass cls = (*env)->FindClass(env, "embeddedbench/Calls");
    if (cls == NULL) {
        fprintf(stderr, "no class embeddedbench.Calls on %s\n", argv[1]);
        return 1;
    }
    jobject o = (*env)->NewObject(env, cls, (*env)->GetMethodID(env, cls, "<init>", "()V"));
    jmethodID ids[VARIANTS];
    ids[PLAIN] = ids[CHECKED] = ids[FRAMED] = (*env)->GetMethodID(env, cls, "nop", "()I");
    ids[STATIC_PLAIN] = (*env)->GetStaticMethodID(env, cls, "snop", "()I");
    ids[ONE_INT] = (*env)->GetMethodID(env, cls, "one", "(I)I");
    for (int v = 0; v < VARIANTS; v++) {
        if (ids[v] == NULL || o == NULL) {
            fprintf(stderr, "a method of embeddedbench.Calls is missing\n");
            return 1;
        }
        run(env, (enum variant)v, o, cls, ids[v], 200000); /* warm-up: the JIT compiles the callee */
    }
    double *per_call = malloc(sizeof(double) * (size_t)batches * VARIANTS);
    /* Interleaved: each round times one batch of every variant. */
    for (long b = 0; b < batches; b++) {
        for (int v = 0; v < VARIANTS; v++) {
            double start = now_ns();
            run(env, (enum variant)v, o, cls, ids[v], calls);
            per_call[v * batches + b] = (now_ns() - start) / (double)calls;
        }
    }
    for (int v = 0; v < VARIANTS; v++) {
        printf("%s", NAMES[v]);
        for (long b = 0; b < batches; b++) {
            printf(" %.2f", per_call[v * batches + b]);
        }
        printf("\n");
    }
    free(per_call);
    return 0;
}
