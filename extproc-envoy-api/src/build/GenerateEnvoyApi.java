import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Build step of extproc-envoy-api, run by the JDK's source launcher during generate-sources.
 *
 * <p>grpc-xds embeds a recent copy of Envoy's ext_proc schema, compiled under relocated class names.
 * Its descriptors still carry Envoy's own {@code java_package}, so this program collects them (the
 * two ext_proc roots and every file they import), writes them as one {@code FileDescriptorSet}, and
 * has protoc and the gRPC plugin generate ordinary {@code io.envoyproxy.*} classes from that set.
 * No {@code .proto} file is vendored and grpc-xds never reaches the runtime class path.
 *
 * <p>Usage: {@code GenerateEnvoyApi <protoc> <protoc-gen-grpc-java> <work-dir> <java-out-dir>}
 */
public final class GenerateEnvoyApi {
  /** grpc-xds's relocated gencode for the two files the ext_proc server needs; pinned with grpc-xds. */
  private static final String[] ROOTS = {
    "io.grpc.xds.shaded.io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorProto",
    "io.grpc.xds.shaded.io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingModeProto",
  };

  /** Files generated here; the rest (google/protobuf, google/api, google/rpc) come from protobuf-java and common-protos. */
  private static final List<String> GENERATED_PREFIXES = List.of("envoy/", "udpa/", "validate/", "xds/");

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      throw new IllegalArgumentException("usage: GenerateEnvoyApi <protoc> <protoc-gen-grpc-java> <work-dir> <java-out-dir>");
    }
    Path protoc = Path.of(args[0]);
    Path grpcPlugin = Path.of(args[1]);
    Path workDir = Files.createDirectories(Path.of(args[2]));
    Path javaOut = Files.createDirectories(Path.of(args[3]));

    Map<String, FileDescriptorProto> closure = new LinkedHashMap<>();
    for (String root : ROOTS) {
      FileDescriptor descriptor = (FileDescriptor) Class.forName(root).getMethod("getDescriptor").invoke(null);
      addDependenciesFirst(descriptor, closure);
    }
    Path descriptorSet = workDir.resolve("envoy-ext-proc.binpb");
    Files.write(descriptorSet, FileDescriptorSet.newBuilder().addAllFile(closure.values()).build().toByteArray());

    List<String> command = new ArrayList<>(List.of(
        executable(protoc).toString(),
        "--descriptor_set_in=" + descriptorSet,
        "--plugin=protoc-gen-grpc-java=" + executable(grpcPlugin),
        "--java_out=" + javaOut,
        "--grpc-java_out=" + javaOut));
    for (String file : closure.keySet()) {
      if (GENERATED_PREFIXES.stream().anyMatch(file::startsWith)) {
        command.add(file);
      }
    }
    Process process = new ProcessBuilder(command).inheritIO().start();
    int exit = process.waitFor();
    if (exit != 0) {
      throw new IllegalStateException("protoc exited with " + exit + ": " + String.join(" ", command));
    }
    System.out.println("GenerateEnvoyApi: " + (command.size() - 5) + " of " + closure.size() + " files generated into " + javaOut);
  }

  private static void addDependenciesFirst(FileDescriptor file, Map<String, FileDescriptorProto> closure) {
    if (closure.containsKey(file.getName())) {
      return;
    }
    for (FileDescriptor dependency : file.getDependencies()) {
      addDependenciesFirst(dependency, closure);
    }
    closure.put(file.getName(), file.toProto());
  }

  /** Maven's dependency:copy drops the executable bit of the protoc binaries it copies. */
  private static Path executable(Path binary) throws IOException {
    if (!Files.isExecutable(binary) && !binary.toFile().setExecutable(true)) {
      throw new IOException(binary + " is not executable and could not be made so");
    }
    return binary.toAbsolutePath();
  }
}
