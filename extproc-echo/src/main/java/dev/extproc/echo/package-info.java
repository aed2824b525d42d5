/**
 * A Netty HTTP/1.1 and h2c (prior knowledge) echo backend that streams the request body back as
 * the response body as it arrives, with bounded memory, plus the seed's aggregating mode and fault
 * effects for tests.
 *
 * <p>Entry point: {@link dev.extproc.echo.EchoServer}. This package depends on Netty and SLF4J
 * only.
 */
package dev.extproc.echo;
