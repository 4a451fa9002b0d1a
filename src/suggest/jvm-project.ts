/**
 * What a JVM build file says about the APIs a patch may call: the Java language level (Maven
 * `maven.compiler.release`/`source`, `java.version`, the compiler plugin's `<release>`/`<source>`;
 * Gradle `options.release`, `sourceCompatibility`, a toolchain's `languageVersion`, `jvmToolchain`,
 * Kotlin's `jvmTarget`), an Android module's `minSdk`, and the Kotlin version. Pure parsers; the
 * review reads the files through its RepoReader.
 */

export interface JvmFacts {
  /** The lowest Java release the build states (6, 8, 17); runtime APIs newer than it may be missing. */
  javaLevel?: number;
  /** An Android module's minimum API level: the platform, not the JDK, decides the library there. */
  androidMinSdk?: number;
  /** The Kotlin compiler/stdlib version (`1.2.71`, `2.0.0`). */
  kotlinVersion?: string;
}

/** The build files that state these facts, nearest first within one directory. */
export const JVM_BUILD_FILES = ['build.gradle.kts', 'build.gradle', 'pom.xml'] as const;

/** `1.6`, `6`, `VERSION_1_6`, `JVM_17`, `17` → the release number. */
function release(text: string): number | undefined {
  const match = /^(?:\D*?_)?(?:1[._])?(\d+)/.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  return value >= 1 && value < 100 ? value : undefined;
}

/** Line comments at the start of a line, block comments and XML comments: a commented-out setting says nothing. */
function withoutComments(text: string): string {
  return text
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
}

/** Maven `<properties>`, for `${java.version}`-style references. */
function mavenProperties(pom: string): Map<string, string> {
  const block = /<properties>([\s\S]*?)<\/properties>/.exec(pom)?.[1] ?? '';
  return new Map([...block.matchAll(/<([\w.-]+)>\s*([^<]*?)\s*<\/\1>/g)].map((m) => [m[1]!, m[2]!]));
}

const GRADLE_LEVELS = [
  /\boptions\.release(?:\s*=\s*|\.set\(\s*)(\d+)/g,
  /\b(?:source|target)Compatibility\s*=\s*(?:JavaVersion\.toVersion\(\s*)?['"]?([\w.]+)/g,
  /\blanguageVersion(?:\s*=\s*|\.set\(\s*)JavaLanguageVersion\.of\(\s*(\d+)/g,
  /\bjvmToolchain\(\s*(\d+)/g,
  /\bjvmTarget(?:\s*=\s*|\.set\(\s*)(?:JvmTarget\.)?['"]?([\w.]+)/g,
];
const MAVEN_LEVELS = [
  /<maven\.compiler\.(?:release|source|target)>([^<]+)</g,
  /<java\.version>([^<]+)</g,
  /<(?:release|source)>([^<]+)<\/(?:release|source)>/g,
];
const KOTLIN_VERSIONS = [
  /\bkotlin\(\s*"[\w.]+"\s*\)\s*version\s*"([\d.]+)"/,
  /\bid\s*\(?\s*['"]org\.jetbrains\.kotlin\.[\w.]+['"]\s*\)?\s*version\s*\(?\s*['"]([\d.]+)/,
  /\bkotlin_version\s*=\s*['"]([\d.]+)/,
  /\bkotlin-(?:gradle-plugin|stdlib[\w-]*):([\d.]+)/,
  /<kotlin\.version>([\d.]+)</,
];

/** The facts one build file states; `fileName` tells Maven from Gradle. */
export function jvmFacts(fileName: string, text: string): JvmFacts {
  const source = withoutComments(text);
  const maven = fileName.endsWith('.xml');
  const properties = maven ? mavenProperties(source) : new Map<string, string>();
  const resolve = (value: string) =>
    value.replace(/\$\{([\w.-]+)\}/g, (_, name: string) => properties.get(name) ?? '');
  const levels = (maven ? MAVEN_LEVELS : GRADLE_LEVELS)
    .flatMap((pattern) => [...source.matchAll(pattern)].map((m) => release(resolve(m[1]!))))
    .filter((level): level is number => level !== undefined);
  const minSdk = /\bminSdk(?:Version)?\s*(?:=\s*|\(\s*|\s+)(\d+)/.exec(source)?.[1];
  const kotlin = KOTLIN_VERSIONS.map((pattern) => pattern.exec(source)?.[1]).find(Boolean);
  return {
    ...(levels.length > 0 ? { javaLevel: Math.min(...levels) } : {}),
    ...(minSdk !== undefined ? { androidMinSdk: Number(minSdk) } : {}),
    ...(kotlin !== undefined ? { kotlinVersion: kotlin } : {}),
  };
}

/**
 * `java.util.concurrent.ThreadLocalRandom` arrived in Java 7 and on Android at API level 21. Unknown
 * facts count as modern: builds that state nothing use the JDK's default level, long past 7.
 */
export function hasThreadLocalRandom(facts: JvmFacts | undefined): boolean {
  return (facts?.javaLevel ?? 7) >= 7 && (facts?.androidMinSdk ?? 21) >= 21;
}

/** `kotlin.random.Random` arrived in Kotlin 1.3. */
export function hasKotlinRandom(facts: JvmFacts | undefined): boolean {
  const match = facts?.kotlinVersion ? /^(\d+)\.(\d+)/.exec(facts.kotlinVersion) : null;
  return match === null || Number(match[1]) > 1 || Number(match[2]) >= 3;
}
