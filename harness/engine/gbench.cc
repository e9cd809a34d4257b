/* The C shim over Google Benchmark 1.7 (gbench.h): C bodies run inside
 * registered lambdas, and a display reporter turns every repetition and
 * aggregate into a cb_gb_run for the harness, which owns all output. */
#include "engine/gbench.h"

#include <benchmark/benchmark.h>

#include <cstring>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

/* Defined by the library (BM_DEFINE_bool) but not declared in its header. */
namespace benchmark {
extern bool FLAGS_benchmark_list_tests;
}

namespace {

using benchmark::BenchmarkReporter;
using benchmark::State;
using benchmark::internal::Benchmark;

State &state_of(cb_gb_state *st) { return *reinterpret_cast<State *>(st); }

const State &state_of(const cb_gb_state *st)
{
	return *reinterpret_cast<const State *>(st);
}

Benchmark *bench_of(cb_gb_bench *b) { return reinterpret_cast<Benchmark *>(b); }

bool initialised;

const char kInterleaveFlag[] = "--benchmark_enable_random_interleaving";
char kInterleaveOn[] = "--benchmark_enable_random_interleaving=true";
char kDefaultArgv0[] = "concbench";

/* The user keeps the last word on interleaving, from argv or from the
 * environment variable Google Benchmark reads for the flag's default. */
bool user_sets_interleaving(int argc, char **argv)
{
	if (std::getenv("BENCHMARK_ENABLE_RANDOM_INTERLEAVING"))
		return true;
	const size_t len = sizeof kInterleaveFlag - 1;
	for (int i = 1; i < argc; i++) {
		if (argv[i] && std::strncmp(argv[i], kInterleaveFlag, len) == 0 &&
		    (argv[i][len] == '\0' || argv[i][len] == '='))
			return true;
	}
	return false;
}

/* Google Benchmark compiles the filter with std::regex (extended syntax) and
 * only prints to stderr when that fails, returning 0 like an empty match;
 * checking it here first lets cb_gb_run tell the two apart. */
bool filter_is_valid(std::string spec)
{
	if (!spec.empty() && spec[0] == '-') /* negative filter */
		spec.erase(0, 1);
	try {
		std::regex re(spec, std::regex_constants::extended);
	} catch (const std::regex_error &) {
		return false;
	}
	return true;
}

std::string filter_spec(const char *filter)
{
	if (filter && *filter)
		return filter;
	return benchmark::GetBenchmarkFilter(); /* "." unless --benchmark_filter */
}

/* Seconds per iteration. Aggregates in percent (cv) are ratios that the
 * library does not scale by iterations or unit, so they pass unchanged. */
double run_seconds(const BenchmarkReporter::Run &r, bool real)
{
	if (r.run_type == BenchmarkReporter::Run::RT_Aggregate &&
	    r.aggregate_unit == benchmark::kPercentage)
		return real ? r.real_accumulated_time : r.cpu_accumulated_time;
	const double t = real ? r.GetAdjustedRealTime() : r.GetAdjustedCPUTime();
	return t / benchmark::GetTimeUnitMultiplier(r.time_unit);
}

std::string registered_name(const benchmark::BenchmarkName &n)
{
	return n.args.empty() ? n.function_name : n.function_name + "/" + n.args;
}

/* Hands each run to C; the strings and arrays live for the callback only. */
class CallbackReporter : public BenchmarkReporter {
public:
	CallbackReporter(cb_gb_report_fn fn, void *ctx) : fn_(fn), ctx_(ctx) {}

	bool ReportContext(const Context &) override { return true; }

	void ReportRuns(const std::vector<Run> &runs) override
	{
		for (const Run &r : runs)
			report(r);
	}

private:
	void report(const Run &r)
	{
		if (!fn_)
			return;
		const std::string name = r.run_name.str();
		const std::string bench = registered_name(r.run_name);
		std::vector<const char *> names;
		std::vector<double> values;
		for (const auto &kv : r.counters) {
			names.push_back(kv.first.c_str());
			values.push_back(kv.second.value);
		}
		const bool agg = r.run_type == Run::RT_Aggregate;
		struct cb_gb_run out = {};
		out.name = name.c_str();
		out.benchmark = bench.c_str();
		out.aggregate = agg ? r.aggregate_name.c_str() : nullptr;
		out.repetition_index = agg ? -1 : r.repetition_index;
		out.repetitions = r.repetitions;
		out.iterations = r.iterations;
		out.real_s = run_seconds(r, true);
		out.cpu_s = run_seconds(r, false);
		out.error = r.error_occurred;
		out.error_message = r.error_occurred ? r.error_message.c_str() : nullptr;
		out.label = r.report_label.c_str();
		out.ncounters = names.size();
		out.counter_names = names.data();
		out.counter_values = values.data();
		fn_(&out, ctx_);
	}

	cb_gb_report_fn fn_;
	void *ctx_;
};

} // namespace

extern "C" {

int cb_gb_take_flags(int argc, char **argv, int *gb_argc, char **gb_argv)
{
	int kept = 1;
	for (int i = 1; i < argc; i++) {
		if (!std::strncmp(argv[i], "--benchmark_", 12))
			gb_argv[(*gb_argc)++] = argv[i];
		else
			argv[kept++] = argv[i];
	}
	return kept;
}

void cb_gb_init(int *argc, char **argv)
{
	if (initialised)
		return;
	initialised = true;
	const int n = (argc && argv) ? *argc : 0;
	std::vector<char *> args;
	args.push_back(n > 0 && argv[0] ? argv[0] : kDefaultArgv0);
	/* First, so that a later flag of the user's would still win. */
	if (!user_sets_interleaving(n, argv))
		args.push_back(kInterleaveOn);
	for (int i = 1; i < n; i++)
		args.push_back(argv[i]);
	args.push_back(nullptr);
	int m = static_cast<int>(args.size()) - 1;
	benchmark::Initialize(&m, args.data());
	if (n <= 0)
		return;
	/* Our own flag was consumed, so what is left fits in the user's argv. */
	for (int i = 1; i < m; i++)
		argv[i] = args[i];
	if (m < n)
		argv[m] = nullptr;
	*argc = m;
}

cb_gb_bench *cb_gb_register(const char *name, cb_gb_fn fn, void *arg)
{
	Benchmark *b = benchmark::RegisterBenchmark(name, [fn, arg](State &st) {
		fn(reinterpret_cast<cb_gb_state *>(&st), arg);
	});
	return reinterpret_cast<cb_gb_bench *>(b);
}

void cb_gb_register_native_increment(const char *name)
{
	benchmark::RegisterBenchmark(name, [](State &st) {
		int64_t x = 0;
		for (auto _ : st) {
			x++;
			benchmark::DoNotOptimize(x);
		}
	});
}

void cb_gb_use_manual_time(cb_gb_bench *b) { bench_of(b)->UseManualTime(); }
void cb_gb_repetitions(cb_gb_bench *b, int n) { bench_of(b)->Repetitions(n); }
void cb_gb_iterations(cb_gb_bench *b, int64_t n) { bench_of(b)->Iterations(n); }
void cb_gb_min_time(cb_gb_bench *b, double seconds) { bench_of(b)->MinTime(seconds); }
void cb_gb_arg(cb_gb_bench *b, int64_t a) { bench_of(b)->Arg(a); }
void cb_gb_threads(cb_gb_bench *b, int n) { bench_of(b)->Threads(n); }
void cb_gb_clear(void) { benchmark::ClearRegisteredBenchmarks(); }

void cb_gb_time_unit(cb_gb_bench *b, cb_gb_unit u)
{
	static const benchmark::TimeUnit units[] = {
		benchmark::kNanosecond, benchmark::kMicrosecond,
		benchmark::kMillisecond, benchmark::kSecond,
	};
	if (u >= CB_GB_NS && u <= CB_GB_S)
		bench_of(b)->Unit(units[u]);
}

void cb_gb_report_aggregates_only(cb_gb_bench *b, bool on)
{
	bench_of(b)->ReportAggregatesOnly(on);
}

/* KeepRunningBatch(max_iterations): the first call starts the timer and
 * takes every iteration at once, the second stops it and returns 0. */
int64_t cb_gb_batch(cb_gb_state *st)
{
	State &s = state_of(st);
	const benchmark::IterationCount n = s.max_iterations;
	return s.KeepRunningBatch(n) ? n : 0;
}

bool cb_gb_keep_running(cb_gb_state *st) { return state_of(st).KeepRunning(); }

int64_t cb_gb_max_iterations(const cb_gb_state *st)
{
	return state_of(st).max_iterations;
}

int64_t cb_gb_range(const cb_gb_state *st, size_t i) { return state_of(st).range(i); }
int cb_gb_thread_index(const cb_gb_state *st) { return state_of(st).thread_index(); }
int cb_gb_thread_count(const cb_gb_state *st) { return state_of(st).threads(); }

void cb_gb_set_iteration_time(cb_gb_state *st, double seconds)
{
	state_of(st).SetIterationTime(seconds);
}

void cb_gb_pause(cb_gb_state *st) { state_of(st).PauseTiming(); }
void cb_gb_resume(cb_gb_state *st) { state_of(st).ResumeTiming(); }

void cb_gb_counter(cb_gb_state *st, const char *name, double value, int flags)
{
	state_of(st).counters[name] =
		benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(flags));
}

void cb_gb_set_items_processed(cb_gb_state *st, int64_t n)
{
	state_of(st).SetItemsProcessed(n);
}

void cb_gb_set_bytes_processed(cb_gb_state *st, int64_t n)
{
	state_of(st).SetBytesProcessed(n);
}

void cb_gb_set_label(cb_gb_state *st, const char *label)
{
	state_of(st).SetLabel(label);
}

void cb_gb_skip_with_error(cb_gb_state *st, const char *msg)
{
	state_of(st).SkipWithError(msg);
}

bool cb_gb_error_occurred(const cb_gb_state *st)
{
	return state_of(st).error_occurred();
}

/* The library initialised (once) and the filter as it takes it; false for
 * a filter that is not a valid expression. */
static bool prepare(const char *filter, std::string *spec)
{
	if (!initialised) {
		int argc = 0;
		cb_gb_init(&argc, nullptr);
	}
	*spec = filter_spec(filter);
	return filter_is_valid(*spec);
}

long cb_gb_run(const char *filter, cb_gb_report_fn fn, void *ctx)
{
	std::string spec;
	if (!prepare(filter, &spec))
		return -1;
	/* No file reporter of ours: given none, the library itself opens
	 * --benchmark_out and writes it in --benchmark_out_format. */
	CallbackReporter reporter(fn, ctx);
	return static_cast<long>(benchmark::RunSpecifiedBenchmarks(&reporter, spec));
}

long cb_gb_list(const char *filter, cb_gb_list_fn fn, void *ctx)
{
	std::string spec;
	if (!prepare(filter, &spec))
		return -1;
	/* --benchmark_list_tests prints each instance's name to the display
	 * reporter's stream instead of running it. */
	std::ostringstream names;
	CallbackReporter reporter(nullptr, nullptr);
	reporter.SetOutputStream(&names);
	const bool was = benchmark::FLAGS_benchmark_list_tests;
	benchmark::FLAGS_benchmark_list_tests = true;
	const long n = static_cast<long>(benchmark::RunSpecifiedBenchmarks(&reporter, spec));
	benchmark::FLAGS_benchmark_list_tests = was;
	std::istringstream in(names.str());
	for (std::string line; std::getline(in, line);)
		if (!line.empty() && fn)
			fn(line.c_str(), ctx);
	return n;
}

} // extern "C"
