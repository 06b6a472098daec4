// Dragon sightings through a queue: a producer sends three sightings, a consumer loop handles
// them and stops when it has seen them all. Runs against Wyvern (AWS_ENDPOINT_URL, default
// http://localhost:4566) or, with AWS_ENDPOINT_URL empty and real credentials, against AWS.
#include <wyvern/client.h>

#include <iostream>
#include <thread>

int main() {
  using namespace wyvern::client;
  Options options = Options::from_environment();
  Queues queues(options);
  auto url = queues.create_queue("dragon-sightings");
  if (!url) {
    std::cerr << url.error().code << ": " << url.error().message << "\n";
    return 1;
  }
  for (const char* dragon : {"Peter", "Atlas", "Smaug"}) {
    nlohmann::json sighting = {{"dragon_name_str", dragon}, {"location_city_str", "Houston"}};
    auto sent = queues.send(*url, sighting.dump());
    if (!sent) {
      std::cerr << sent.error().code << ": " << sent.error().message << "\n";
      return 1;
    }
  }
  int seen = 0;
  Consumer consumer(options, *url, [&](const Message& m) {
    auto sighting = nlohmann::json::parse(m.body);
    std::cout << "sighted " << sighting["dragon_name_str"].get<std::string>() << "\n";
    return true;  // handled: delete it
  }, {.wait_seconds = 1});
  std::thread loop([&] { consumer.run(); });
  while (consumer.handled() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  consumer.stop();
  loop.join();
  seen = static_cast<int>(consumer.handled());
  std::cout << seen << " sightings handled\n";
  return 0;
}
