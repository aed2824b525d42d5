package dev.extproc.app.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test that provokes ext_proc failures on purpose (server down, killed, client abort,
 * upstream reset): after it, {@link LocalStackExtension} does not require clean Envoy ext_proc
 * counters, but still waits until the ext_proc server holds no stream and no byte. The test
 * asserts the counters it expects itself.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface ExpectsExtProcErrors {}
