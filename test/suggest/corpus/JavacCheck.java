import java.io.File;
import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles each Java file given on the command line on its own, in one JVM, and prints its errors as
 * `path<TAB>code<TAB>message` lines (newlines in messages as spaces); `path<TAB>ok` when it has none.
 * Classes the file cannot resolve are errors before and after a patch alike: the caller compares.
 */
public class JavacCheck {
  public static void main(String[] args) throws Exception {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    File out = Files.createTempDirectory("javac-check").toFile();
    for (String path : args) {
      DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
      try (StandardJavaFileManager files = compiler.getStandardFileManager(null, Locale.ROOT, null)) {
        List<String> options = List.of("-proc:none", "-implicit:none", "-Xmaxerrs", "10000", "-d", out.getPath());
        compiler.getTask(null, files, diagnostics, options, null, files.getJavaFileObjects(path)).call();
      }
      boolean clean = true;
      for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
        if (d.getKind() != Diagnostic.Kind.ERROR) continue;
        clean = false;
        System.out.println(path + "\t" + d.getCode() + "\t" + d.getMessage(Locale.ROOT).replace('\n', ' '));
      }
      if (clean) System.out.println(path + "\tok");
    }
  }
}
