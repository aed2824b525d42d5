package dev.extproc.internal;

import com.google.protobuf.ByteString;

/**
 * Body mode NONE: the body passes through Envoy and no body message comes ({@link InboundRules}
 * refuses one). Output can be written only while headers end the message (CONTINUE_AND_REPLACE).
 */
final class NoBodyDiscipline extends BodyDiscipline {
  @Override
  DirectionFlow.MutationTarget bodyTarget() {
    return DirectionFlow.MutationTarget.NONE_OUTSIDE_EVENT;
  }

  @Override
  void onBodyMessage(Exchange x, DirectionFlow d, ByteString chunk, boolean endOfStream) {
    throw new IllegalStateException("body message in body mode NONE passed the inbound rules");
  }
}
