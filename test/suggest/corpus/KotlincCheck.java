import java.io.File;
import java.nio.file.Files;
import java.util.List;
import org.jetbrains.kotlin.cli.common.arguments.K2JVMCompilerArguments;
import org.jetbrains.kotlin.cli.common.messages.CompilerMessageLocation;
import org.jetbrains.kotlin.cli.common.messages.CompilerMessageSeverity;
import org.jetbrains.kotlin.cli.common.messages.MessageCollector;
import org.jetbrains.kotlin.cli.jvm.K2JVMCompiler;
import org.jetbrains.kotlin.config.Services;

/**
 * Compiles each Kotlin file given after the Kotlin home and a class path (empty for none) on the
 * command line on its own, in one JVM, and prints its errors as `path<TAB>message` lines (newlines in messages as spaces); `path<TAB>ok`
 * when it has none. Names the file cannot resolve are errors before and after a patch alike: the
 * caller compares.
 */
public class KotlincCheck {
  public static void main(String[] args) throws Exception {
    String home = args[0];
    String classpath = args[1];
    File out = Files.createTempDirectory("kotlinc-check").toFile();
    for (String path : List.of(args).subList(2, args.length)) {
      StringBuilder errors = new StringBuilder();
      MessageCollector collector =
          new MessageCollector() {
            private boolean failed;

            public void clear() {
              failed = false;
            }

            public boolean hasErrors() {
              return failed;
            }

            public void report(
                CompilerMessageSeverity severity, String message, CompilerMessageLocation location) {
              if (!severity.isError()) return;
              failed = true;
              errors.append(path).append('\t').append(message.replace('\n', ' ')).append('\n');
            }
          };
      K2JVMCompilerArguments arguments = new K2JVMCompilerArguments();
      arguments.setFreeArgs(List.of(path));
      arguments.setKotlinHome(home);
      arguments.setDestination(out.getPath());
      arguments.setNoReflect(true);
      if (!classpath.isEmpty()) arguments.setClasspath(classpath);
      new K2JVMCompiler().exec(collector, Services.EMPTY, arguments);
      System.out.print(errors.length() == 0 ? path + "\tok\n" : errors);
    }
  }
}
