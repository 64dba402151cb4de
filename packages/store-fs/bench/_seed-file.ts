/** Builds a seed-format summary (what the Python seed wrote) with `updates` progress updates. */
export function seedFormatSummary(updates: number, runName = 'bench', processName = 'collect') {
  const start = 322.294865619;
  const progress = [];
  for (let i = 1; i <= updates; i++) {
    progress.push({
      timestamp: start + i * 0.01,
      elapsed_seconds: i * 0.01,
      message: `Processing batch ${i}`,
      items_processed: i * 50,
      items_successful: i * 50 - (i % 7 === 0 ? 1 : 0),
      items_failed: i % 7 === 0 ? 1 : 0,
      batch_size: 50,
    });
  }
  const processed = updates * 50;
  return {
    process_name: processName,
    run_name: runName,
    session_id: 1795965372,
    start_time: start,
    end_time: start + updates * 0.01 + 1,
    duration_seconds: updates * 0.01 + 1,
    is_completed: true,
    items_processed: processed,
    items_successful: processed - Math.floor(updates / 7),
    items_failed: Math.floor(updates / 7),
    items_retried: 3,
    bytes_processed: 1048575,
    success_rate_percent: 99.6,
    processing_rate_per_second: 131761.58,
    error_count: 8,
    error_types: { NetworkError: 5, ValidationError: 3 },
    last_error_message: 'Invalid barcode 32044000000002',
    last_error_time: start + 1,
    interruption_count: 0,
    progress_updates_count: updates,
    progress_updates: progress,
    custom_metrics: { storage_type: 'minio', bucket_name: 'grin-raw', books_collected: processed },
    generated_at: '2024-01-15T10:30:45.123456+00:00',
  };
}
