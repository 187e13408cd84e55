/**
 * Where the training and evaluation data come from (each folder's SOURCE.txt in the shared
 * traces). Written into the weights' metadata and quoted in docs/PREDICTOR.md: the traces
 * themselves are never copied into this repository or its package.
 */
export const DATA_CREDITS: readonly string[] = [
  'Starlink ping trace from the LENS dataset (Zhao & Pan, ACM MMSys 2024 ODS), via clarkzjw/LEONetEM; CC BY-SA 4.0',
  'Starlink irtt one-way delay and loss (Tian, Li, Zhao, Wu, Pan, "An eBPF-Based Trace-Driven Emulation Method for Satellite Networks", IEEE Networking Letters 2024), via yeliqseu/ebpf-trace-emu; research use',
  'Mahimahi cellular traces (Winstein, Sivaraman, Balakrishnan, NSDI 2013), via ravinet/mahimahi; GPL-3.0',
  'Norway 3G/HSDPA commute traces (Riiser et al., MMSys 2013) as cooked by Pensieve (hongzimao/pensieve); MIT',
];
