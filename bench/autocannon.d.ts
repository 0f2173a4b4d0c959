// The part of autocannon's API bench/serve.ts uses (the package ships no types).
declare module 'autocannon' {
  interface Histogram { p50: number; p90: number; p99: number; average: number; max: number }
  interface Result { latency: Histogram; requests: Histogram & { total: number }; non2xx: number; errors: number; timeouts: number; duration: number; statusCodeStats?: Record<string, { count: number }> }
  interface Options { url: string; method?: string; headers?: Record<string, string>; body?: string; connections?: number; overallRate?: number; duration?: number; amount?: number; timeout?: number }
  function autocannon(opts: Options): Promise<Result>;
  export default autocannon;
}
