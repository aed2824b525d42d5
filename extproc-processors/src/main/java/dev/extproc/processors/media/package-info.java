/** Deterministic test media of the seed's sizes, generated (never committed). */
package dev.extproc.processors.media;
